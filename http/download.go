package http

import (
	"net/http"
	"strconv"

	"github.com/vintry/vintry"
)

// handleDownload serves one of a job's files. Another tenant's file, like a
// missing one, is 404.
func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	jobID, kind, ok := vintry.ParseJobFileName(r.PathValue("name"))
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, "File not found."))
		return
	}
	f, err := s.Jobs.FindJobFile(r.Context(), jobID, kind)
	if err != nil {
		writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	if kind == vintry.FileInput {
		// The input is the upload byte for byte, in whatever encoding it came.
		w.Header().Set("Content-Type", "text/csv")
	}
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.Name+`"`)
	w.Header().Set("Content-Length", strconv.FormatInt(f.Size, 10))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	sw := &sentWriter{w: w}
	if err := s.Jobs.CopyJobFile(r.Context(), f, sw); err != nil {
		if !sw.sent {
			// Nothing is sent yet: the error can still be the answer.
			for _, h := range []string{"Content-Type", "Content-Disposition", "Content-Length"} {
				w.Header().Del(h)
			}
			writeError(w, r, err)
			return
		}
		// The body falls short of its Content-Length, so the client sees the
		// download fail and net/http closes the connection.
		logger(r.Context()).Warn("download interrupted", "file", f.Name, "error", err.Error())
	}
}

// sentWriter is a ResponseWriter's body that records whether any of it
// was sent (which also sends the status and headers).
type sentWriter struct {
	w    http.ResponseWriter
	sent bool
}

func (sw *sentWriter) Write(p []byte) (int, error) {
	sw.sent = sw.sent || len(p) > 0
	return sw.w.Write(p)
}

// fileURLs returns the download paths of a job's files, by kind.
func fileURLs(tenantSlug string, j *vintry.ImportJob) jobFiles {
	files := jobFiles{Input: []string{}, Staging: []string{}, Output: []string{}, Errors: []string{}}
	lists := map[vintry.FileKind]*[]string{
		vintry.FileInput: &files.Input, vintry.FileStaging: &files.Staging,
		vintry.FileOutput: &files.Output, vintry.FileErrors: &files.Errors,
	}
	for _, k := range j.FileKinds() {
		*lists[k] = append(*lists[k], "/"+tenantSlug+"/download/"+vintry.JobFileName(j.ID, k))
	}
	return files
}

package http

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// formFieldLimit bounds each non-file form field (arguments, field_mappings).
const formFieldLimit = 64 << 10

// formOverhead is what a multipart body may carry beyond the file itself:
// boundaries, part headers and the small fields.
const formOverhead = 4 * formFieldLimit

// importForm is the CSV method's form, read from a streamed multipart body.
type importForm struct {
	file          []byte
	fileName      string
	hasFile       bool
	arguments     *string
	fieldMappings *string
	profile       *string // mapping_profile
}

// importCSV runs the CSV method: every up-front check, then the upload is
// stored and queued and the client gets 202 with the job to follow.
func (s *Server) importCSV(w http.ResponseWriter, r *http.Request) {
	key, err := idempotencyKey(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	form, err := s.readImportForm(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	req, err := s.checkImportForm(r.Context(), form)
	if err == nil {
		err = s.checkQuota(r.Context(), int64(len(form.file)))
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	req.IdempotencyKey = key
	h := sha256.New()
	parts := []string{"csv", form.fileName, deref(form.arguments), deref(form.fieldMappings)}
	if form.profile != nil {
		// Only when sent, so requests without it hash as they always did.
		parts = append(parts, "mapping_profile", *form.profile)
	}
	for _, part := range parts {
		fmt.Fprintf(h, "%d:%s\n", len(part), part)
	}
	h.Write(form.file)
	req.RequestHash = h.Sum(nil)
	job, replayed, err := s.Jobs.QueueImport(r.Context(), req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	p, _ := vintry.PrincipalFromContext(r.Context())
	writeJSON(w, http.StatusAccepted, queuedResponse{Message: "Inventory import queued", Content: queuedJob{
		JobLogID: job.ID, Status: job.Status, Type: vintry.JobType,
		StatusURL:     fmt.Sprintf("/%s/api/v1/imports/status/%d", p.TenantSlug, job.ID),
		JobStatusLink: s.jobStatusLink(r, job.ID),
	}})
}

type queuedResponse struct {
	Message string    `json:"message"`
	Content queuedJob `json:"content"`
}

type queuedJob struct {
	JobLogID      int64            `json:"job_log_id"`
	Status        vintry.JobStatus `json:"status"`
	Type          string           `json:"type"`
	StatusURL     string           `json:"status_url"`
	JobStatusLink string           `json:"job_status_link"`
}

// readImportForm streams the multipart body: the file is read up to the
// upload limit and no further, so an oversized upload is refused without
// buffering it; nothing is spooled to disk.
func (s *Server) readImportForm(w http.ResponseWriter, r *http.Request) (*importForm, error) {
	limit := s.Config.MaxUploadBytes
	tooLarge := vintry.Errorf(vintry.ETOOLARGE, "File size exceeds maximum allowed size of %s", sizeText(limit))
	if r.ContentLength > limit+formOverhead {
		return nil, tooLarge
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+formOverhead)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, vintry.Errorf(vintry.EMALFORMED, "The multipart body could not be read: %s.", err.Error())
	}
	form := &importForm{}
	for {
		part, err := mr.NextPart()
		// Only a bare io.EOF is the end of the parts: NextPart wraps the
		// io.EOF of a body that ends before its closing boundary (or that
		// is not multipart at all), which is malformed.
		if err == io.EOF {
			return form, nil
		} else if err != nil {
			return nil, multipartError(err, tooLarge)
		}
		if err := form.readPart(r.Context(), part, limit, tooLarge); err != nil {
			return nil, err
		}
	}
}

// readPart reads one part of the form. The file part is read into a buffer
// that grows by the bytes that arrive, from the server's body budget (a
// declared Content-Length reserves nothing).
func (f *importForm) readPart(ctx context.Context, part *multipart.Part, limit int64, tooLarge error) error {
	defer part.Close()
	switch part.FormName() {
	case "file":
		if f.hasFile {
			return vintry.FieldError("file", "Only one file may be uploaded per request.")
		}
		data, err := readAllBudgeted(ctx, io.LimitReader(part, limit+1), limit+1)
		if err != nil {
			return multipartError(err, tooLarge)
		}
		if int64(len(data)) > limit {
			return tooLarge
		}
		f.file, f.fileName, f.hasFile = data, part.FileName(), true
	case "arguments", "field_mappings", "mapping_profile":
		data, err := io.ReadAll(io.LimitReader(part, formFieldLimit+1))
		if err != nil {
			return multipartError(err, tooLarge)
		}
		if len(data) > formFieldLimit {
			return vintry.FieldError(part.FormName(), fmt.Sprintf("The %s field is too long.", part.FormName()))
		}
		text := string(data)
		switch part.FormName() {
		case "arguments":
			f.arguments = &text
		case "field_mappings":
			f.fieldMappings = &text
		default:
			f.profile = &text
		}
	default:
		if _, err := io.Copy(io.Discard, part); err != nil {
			return multipartError(err, tooLarge)
		}
	}
	return nil
}

func multipartError(err, tooLarge error) error {
	var mbe *http.MaxBytesError
	var busy *vintry.Error
	if errors.As(err, &mbe) {
		return tooLarge
	} else if errors.As(err, &busy) {
		return err
	}
	return vintry.Errorf(vintry.EMALFORMED, "The multipart body could not be read: %s.", err.Error())
}

// checkImportForm runs the checks made before a job is accepted: the file,
// the arguments, the header and mapping, and the row count. A
// mapping_profile is resolved here, so the job keeps the mapping as it is
// now whatever later happens to the profile.
func (s *Server) checkImportForm(ctx context.Context, f *importForm) (vintry.QueueRequest, error) {
	var req vintry.QueueRequest
	v := &validation{}
	switch {
	case !f.hasFile:
		v.Add("file", "The file field is required.")
	case !strings.HasSuffix(strings.ToLower(f.fileName), ".csv") || !csvin.LooksLikeText(f.file[:min(len(f.file), 8192)]):
		v.Add("file", "Invalid file type. Only CSV files are allowed.")
	}
	if f.arguments == nil {
		v.Add("arguments", "The arguments field is required.")
	} else {
		req.Args = v.arguments([]byte(*f.arguments), true)
	}
	if err := v.Err(); err != nil {
		return req, err
	}
	mappingsText, profile := strings.TrimSpace(deref(f.fieldMappings)), strings.TrimSpace(deref(f.profile))
	if mappingsText != "" && profile != "" {
		return req, vintry.FieldError("mapping_profile", "Send either field_mappings or mapping_profile, not both.")
	}
	if profile != "" && !req.Args.HeadersMatchExactly {
		p, err := s.Mappings.FindMappingProfile(ctx, profile)
		if vintry.ErrorCode(err) == vintry.ENOTFOUND {
			return req, vintry.FieldError("mapping_profile", vintry.ErrorMessage(err))
		} else if err != nil {
			return req, err
		}
		mappingsText, req.MappingProfile = p.FieldMappings, p.Name
	}
	var mappings csvin.FieldMappings
	if mappingsText != "" && !req.Args.HeadersMatchExactly {
		var err error
		if mappings, err = csvin.ParseFieldMappings(mappingsText); err != nil {
			return req, err
		}
		req.FieldMappings = mappingsText
		if req.MappingProfile == "" {
			req.FieldMappings = *f.fieldMappings
		}
	}
	leave, err := s.checks.enter(ctx)
	if err != nil {
		return req, err
	}
	defer leave()
	if _, err := csvin.CheckUpload(f.file, req.Args.HeadersMatchExactly, mappings, s.Config.MaxRecords); err != nil {
		return req, err
	}
	req.File, req.FileName = f.file, f.fileName
	return req, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

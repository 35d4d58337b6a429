package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// previewRows is how many data rows the mapping page shows.
const previewRows = 5

type mappingView struct {
	DraftID   int64
	FileName  string
	Encoding  string
	Delimiter string
	Headers   []headerChoice
	Preview   [][]string
	Columns   []string
	Args      vintry.ImportArgs
}

type headerChoice struct {
	Index    int
	Name     string
	Selected string // the column it maps to, "" to ignore it
}

func (s *Server) handleMappingPage(w http.ResponseWriter, r *http.Request) {
	draft, err := s.findDraft(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v, err := newMappingView(draft)
	args := vintry.ImportArgs{AllowRecordCreation: true, AllowRecordUpdate: true}
	v.Args = args
	s.renderMapping(w, r, v, err)
}

func (s *Server) findDraft(r *http.Request) (*vintry.Draft, error) {
	id, ok := pathID(r, "draft")
	if !ok {
		return nil, vintry.Errorf(vintry.ENOTFOUND, "The uploaded file is no longer available; upload it again.")
	}
	return s.Drafts.FindDraft(r.Context(), id)
}

// newMappingView reads a draft's header and first rows, and pre-selects each
// header's column when their names differ only by case, spaces, - or _.
func newMappingView(d *vintry.Draft) (mappingView, error) {
	v := mappingView{DraftID: d.ID, FileName: d.FileName, Columns: vintry.ColumnNames[:]}
	enc, err := csvin.DetectEncoding(bytes.NewReader(d.Content))
	if err != nil {
		return v, err
	}
	cr, err := csvin.NewReader(bytes.NewReader(d.Content), enc)
	if err != nil {
		return v, err
	}
	v.Encoding, v.Delimiter = string(enc), fmt.Sprintf("%q", cr.Delimiter())
	for i, h := range cr.Header() {
		v.Headers = append(v.Headers, headerChoice{Index: i, Name: h, Selected: guessColumn(h)})
	}
	for len(v.Preview) < previewRows {
		rec, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return v, err
		}
		v.Preview = append(v.Preview, append([]string(nil), rec.Fields...))
	}
	return v, nil
}

func normalizeHeader(s string) string {
	return strings.NewReplacer(" ", "", "_", "", "-", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

func guessColumn(header string) string {
	for _, c := range vintry.ColumnNames {
		if normalizeHeader(header) == normalizeHeader(c) {
			return c
		}
	}
	return ""
}

func (s *Server) renderMapping(w http.ResponseWriter, r *http.Request, v mappingView, err error) {
	page := view{Tenant: r.PathValue("tenant"), Title: "Map columns", Data: v}
	status := http.StatusOK
	if err != nil {
		code, ok := statusOf[vintry.ErrorCode(err)]
		if !ok || code >= 500 {
			s.renderError(w, r, err)
			return
		}
		status, page.Error = code, vintry.ErrorMessage(err)
	}
	renderView(w, r, status, "mapping.html", page)
}

// handleQueueDraft queues a draft with the chosen mapping and options, with
// exactly the checks of the API's CSV method, and opens the job's page.
func (s *Server) handleQueueDraft(w http.ResponseWriter, r *http.Request) {
	draft, err := s.findDraft(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, smallBodyLimit)
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, vintry.Errorf(vintry.EMALFORMED, "The form could not be read."))
		return
	}
	v, verr := newMappingView(draft)
	v.Args = vintry.ImportArgs{
		AllowRecordCreation: r.PostForm.Get("allow_record_creation") != "", AllowRecordUpdate: r.PostForm.Get("allow_record_update") != "",
		ShouldContinueOnError: r.PostForm.Get("should_continue_on_error") != "", DryRun: r.PostForm.Get("dry_run") != "",
	}
	mappings := map[string]string{}
	for i := range v.Headers {
		h := &v.Headers[i]
		h.Selected = r.PostForm.Get("map_" + strconv.Itoa(h.Index))
		// An ignored header is sent as mapped to "": else a header named
		// exactly like a column would be imported although ignored.
		if h.Name != "" {
			mappings[h.Name] = h.Selected
		}
	}
	if verr != nil {
		s.renderMapping(w, r, v, verr)
		return
	}
	job, err := s.queueDraft(r, draft, v.Args, mappings)
	if err != nil {
		s.renderMapping(w, r, v, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%s%s/logs/%d", url.PathEscape(r.PathValue("tenant")), jobsPath, job.ID), http.StatusSeeOther)
}

func (s *Server) queueDraft(r *http.Request, d *vintry.Draft, args vintry.ImportArgs, mappings map[string]string) (*vintry.ImportJob, error) {
	argsJSON, _ := json.Marshal(args)
	mapJSON, _ := json.Marshal(mappings)
	a, m := string(argsJSON), string(mapJSON)
	req, err := s.checkImportForm(r.Context(), &importForm{file: d.Content, fileName: d.FileName, hasFile: true, arguments: &a, fieldMappings: &m})
	if err != nil {
		return nil, err
	}
	job, _, err := s.Jobs.QueueImport(r.Context(), req)
	if err != nil {
		return nil, err
	}
	if err := s.Drafts.DeleteDraft(r.Context(), d.ID); err != nil {
		logger(r.Context()).Warn("draft not deleted", "draft", d.ID, "error", err)
	}
	return job, nil
}

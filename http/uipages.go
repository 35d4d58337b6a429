package http

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
)

// errorsPerPage is how many row errors a job page shows at once.
const errorsPerPage = 100

// pageLinks carries a list page's rows and the link to the next page.
type pageLinks struct {
	Page vintry.Page
	Next string // URL of the next page, "" on the last
}

func nextLink(r *http.Request, p vintry.Page) string {
	if p.NextIndex == "" {
		return ""
	}
	q := r.URL.Query()
	q.Set("current_index", p.NextIndex)
	return r.URL.Path + "?" + q.Encode()
}

type jobsView struct {
	Jobs []vintry.ImportJob
	pageLinks
}

func (s *Server) handleJobsPage(w http.ResponseWriter, r *http.Request) {
	page, err := vintry.ParsePageRequest("50", r.URL.Query().Get("current_index"))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	jobs, p, err := s.Imports.FindImportJobs(r.Context(), page)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "jobs.html", "Import jobs", jobsView{Jobs: jobs, pageLinks: pageLinks{p, nextLink(r, p)}})
}

type jobView struct {
	Job        *vintry.ImportJob
	CanRevert  bool // the user is an admin and the job can be reverted
	Steps      []stepView
	Files      []fileLink
	Errors     []vintry.RowError
	ErrorsFrom int
	PrevErrors string
	NextErrors string
}

type stepView struct {
	Name  string
	State string // done, current, todo
}

type fileLink struct {
	Label, URL string
}

func (s *Server) handleJobPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.renderError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound))
		return
	}
	job, err := s.Imports.FindImportJob(r.Context(), id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	v := newJobView(r, job)
	name := "job.html"
	if r.URL.Query().Get("fragment") == "live" {
		name = "joblive.html" // the part the page's script refreshes
	}
	s.render(w, r, http.StatusOK, name, fmt.Sprintf("Import job %d", job.ID), v)
}

func newJobView(r *http.Request, job *vintry.ImportJob) jobView {
	v := jobView{Job: job}
	if p, _ := vintry.PrincipalFromContext(r.Context()); p.IsAdmin() {
		v.CanRevert = job.CheckRevertable() == nil
	}
	for i, name := range vintry.JobSteps {
		state := "todo"
		switch {
		case i < job.StepsDone:
			state = "done"
		case name == job.CurrentStep():
			state = "current"
		}
		v.Steps = append(v.Steps, stepView{Name: name, State: state})
	}
	labels := map[vintry.FileKind]string{vintry.FileInput: "Input (as uploaded)", vintry.FileStaging: "Staging",
		vintry.FileOutput: "Output (every row with its result)", vintry.FileErrors: "Errors"}
	for _, k := range job.FileKinds() {
		v.Files = append(v.Files, fileLink{labels[k], "/" + r.PathValue("tenant") + "/download/" + vintry.JobFileName(job.ID, k)})
	}
	// An errors_page past the last page shows the last one; clamping first
	// also keeps (page-1)*errorsPerPage from overflowing.
	page, _ := strconv.Atoi(r.URL.Query().Get("errors_page"))
	last := max(1, (len(job.Errors)+errorsPerPage-1)/errorsPerPage)
	page = min(max(page, 1), last)
	from := min((page-1)*errorsPerPage, len(job.Errors))
	to := min(from+errorsPerPage, len(job.Errors))
	v.Errors, v.ErrorsFrom = job.Errors[from:to], from+1
	if page > 1 {
		v.PrevErrors = fmt.Sprintf("?errors_page=%d", page-1)
	}
	if to < len(job.Errors) {
		v.NextErrors = fmt.Sprintf("?errors_page=%d", page+1)
	}
	return v
}

type inventoryView struct {
	Records []vintry.InventoryRecord
	Filter  vintry.InventoryFilter
	pageLinks
}

func (s *Server) handleInventoryPage(w http.ResponseWriter, r *http.Request) {
	filter, err := inventoryFilter(r)
	if err == nil {
		var page vintry.PageRequest
		if page, err = vintry.ParsePageRequest("100", r.URL.Query().Get("current_index")); err == nil {
			var records []vintry.InventoryRecord
			var p vintry.Page
			if records, p, err = s.Inventory.FindInventory(r.Context(), filter, page); err == nil {
				s.render(w, r, http.StatusOK, "inventory.html", "Inventory",
					inventoryView{Records: records, Filter: filter, pageLinks: pageLinks{p, nextLink(r, p)}})
				return
			}
		}
	}
	s.renderError(w, r, err)
}

func (s *Server) handleUploadPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "upload.html", "Upload inventory", nil)
}

// handleUploadFile keeps the chosen file as a draft and shows its mapping form.
func (s *Server) handleUploadFile(w http.ResponseWriter, r *http.Request) {
	form, err := s.readImportForm(w, r)
	if err == nil && !form.hasFile {
		err = vintry.FieldError("file", "Choose a CSV file to upload.")
	}
	if err == nil && (!strings.HasSuffix(strings.ToLower(form.fileName), ".csv") || !csvin.LooksLikeText(form.file[:min(len(form.file), 8192)])) {
		err = vintry.FieldError("file", "Invalid file type. Only CSV files are allowed.")
	}
	if err == nil {
		// A file whose header cannot be read (too many columns, a syntax
		// error) is refused here rather than kept for a mapping page.
		err = s.readableHeader(r.Context(), form.file)
	}
	if err == nil {
		err = s.checkQuota(r.Context(), int64(len(form.file)))
	}
	if err != nil {
		s.renderUploadError(w, r, err)
		return
	}
	id, err := s.Drafts.CreateDraft(r.Context(), form.fileName, form.file)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, fmt.Sprintf("/%s/imports/upload/%d", url.PathEscape(r.PathValue("tenant")), id), http.StatusSeeOther)
}

// readableHeader reports why the header of an uploaded file cannot be read,
// or nil.
func (s *Server) readableHeader(ctx context.Context, data []byte) error {
	leave, err := s.checks.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	enc, err := csvin.DetectEncoding(bytes.NewReader(data))
	if err != nil {
		return err
	}
	_, err = csvin.NewReader(bytes.NewReader(data), enc)
	return err
}

func (s *Server) renderUploadError(w http.ResponseWriter, r *http.Request, err error) {
	status, ok := statusOf[vintry.ErrorCode(err)]
	if !ok || status >= 500 {
		s.renderError(w, r, err)
		return
	}
	v := view{Tenant: r.PathValue("tenant"), Title: "Upload inventory", Error: vintry.ErrorMessage(err)}
	renderView(w, r, status, "upload.html", v)
}

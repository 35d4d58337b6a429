package http

import (
	"net/http"
	"time"

	"github.com/vintry/vintry"
)

type jobStatusResponse struct {
	Message string    `json:"message"`
	Content jobStatus `json:"content"`
}

type jobStatus struct {
	JobLogID    int64            `json:"job_log_id"`
	Status      vintry.JobStatus `json:"status"`
	Type        string           `json:"type"`
	Description string           `json:"description"`
	Progress    jobProgress      `json:"progress"`
	Summary     vintry.Summary   `json:"summary"`
	// Errors is set (possibly empty) on the status endpoint and nil in
	// the jobs list, which leaves row errors out.
	Errors        *[]vintry.RowError `json:"errors,omitempty"`
	DryRun        bool               `json:"dry_run"`
	Files         jobFiles           `json:"files"`
	JobStatusLink string             `json:"job_status_link"`
	Timestamps    jobTimestamps      `json:"timestamps"`
	UserID        int64              `json:"user_id"`
	Log           []string           `json:"log"`
	// The revert links, present when set.
	RevertsJobLogID    *int64 `json:"reverts_job_log_id,omitempty"`
	RevertedByJobLogID *int64 `json:"reverted_by_job_log_id,omitempty"`
}

type jobProgress struct {
	CompletedSteps int     `json:"completed_steps"`
	TotalSteps     int     `json:"total_steps"`
	CurrentStep    *string `json:"current_step"`
}

type jobFiles struct {
	Input   []string `json:"input"`
	Staging []string `json:"staging"`
	Output  []string `json:"output"`
	Errors  []string `json:"errors"`
}

type jobTimestamps struct {
	CreatedAt   string  `json:"created_at"`
	StartedAt   *string `json:"started_at"`
	CompletedAt *string `json:"completed_at"`
	// FilesDeletedAt is set once the job's files were deleted at the end
	// of their retention.
	FilesDeletedAt *string `json:"files_deleted_at,omitempty"`
}

func (s *Server) jobStatus(r *http.Request, j *vintry.ImportJob) jobStatus {
	return newJobStatus(s.baseURL(), principalSlug(r), j)
}

// JobStatusContent returns a job as the content of
// GET /{tenant}/api/v1/imports/status/{id} shows it, with links under
// baseURL (scheme://host). Webhook deliveries send it as their data.
func JobStatusContent(baseURL, tenantSlug string, j *vintry.ImportJob) any {
	return newJobStatus(baseURL, tenantSlug, j)
}

func newJobStatus(baseURL, tenantSlug string, j *vintry.ImportJob) jobStatus {
	st := jobStatus{
		JobLogID: j.ID, Status: j.Status, Type: vintry.JobType, Description: jobDescription(j),
		Progress: jobProgress{CompletedSteps: j.StepsDone, TotalSteps: len(vintry.JobSteps)},
		Summary:  j.Summary, DryRun: j.Args.DryRun,
		Files:         fileURLs(tenantSlug, j),
		JobStatusLink: jobLogURL(baseURL, tenantSlug, j.ID),
		Timestamps: jobTimestamps{CreatedAt: formatTime(j.CreatedAt), StartedAt: formatTimePtr(j.StartedAt), CompletedAt: formatTimePtr(j.CompletedAt),
			FilesDeletedAt: formatTimePtr(j.FilesDeletedAt)},
		UserID: j.UserID, Log: j.Log,
	}
	if step := j.CurrentStep(); step != "" {
		st.Progress.CurrentStep = &step
	}
	if j.Type != "" {
		st.Type = j.Type
	}
	if j.RevertsJobID != 0 {
		st.RevertsJobLogID = &j.RevertsJobID
	}
	if j.RevertedByJobID != 0 {
		st.RevertedByJobLogID = &j.RevertedByJobID
	}
	errs := j.Errors
	if errs == nil {
		errs = []vintry.RowError{}
	}
	st.Errors = &errs
	if st.Log == nil {
		st.Log = []string{}
	}
	return st
}

// jobDescription names a job's type for people.
func jobDescription(j *vintry.ImportJob) string {
	if j.Type == vintry.JobTypeRevert {
		return "Inventory Import Revert"
	}
	return "Inventory Import"
}

func (s *Server) handleImportJobStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound))
		return
	}
	job, err := s.Imports.FindImportJob(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, jobStatusResponse{Message: "Job status retrieved successfully", Content: s.jobStatus(r, job)})
}

func (s *Server) handleImportJobList(w http.ResponseWriter, r *http.Request) {
	page, err := pageRequest(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	jobs, p, err := s.Imports.FindImportJobs(r.Context(), page)
	if err != nil {
		writeError(w, r, err)
		return
	}
	data := make([]jobStatus, len(jobs))
	for i := range jobs {
		data[i] = s.jobStatus(r, &jobs[i])
		data[i].Errors = nil // the list carries summaries, not row errors (§5)
	}
	writeJSON(w, http.StatusOK, newListResponse("Import jobs retrieved successfully", data, p))
}

// listResponse is the shape of every list: records in data, Claret's
// pagination keys beside it.
type listResponse[T any] struct {
	Message      string  `json:"message"`
	Data         []T     `json:"data"`
	Total        int     `json:"total"`
	From         *int    `json:"from"`
	To           *int    `json:"to"`
	PerPage      int     `json:"per_page"`
	CurrentIndex *string `json:"current_index"`
	NextIndex    *string `json:"next_index"`
}

func newListResponse[T any](msg string, data []T, p vintry.Page) listResponse[T] {
	if data == nil {
		data = []T{}
	}
	resp := listResponse[T]{Message: msg, Data: data, Total: p.Total, PerPage: p.PerPage,
		CurrentIndex: nonEmpty(p.CurrentIndex), NextIndex: nonEmpty(p.NextIndex)}
	if p.From > 0 {
		resp.From, resp.To = &p.From, &p.To
	}
	return resp
}

func pageRequest(r *http.Request) (vintry.PageRequest, error) {
	q := r.URL.Query()
	return vintry.ParsePageRequest(q.Get("per_page"), q.Get("current_index"))
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// formatTime renders times as RFC 3339 UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func formatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

func principalSlug(r *http.Request) string {
	p, _ := vintry.PrincipalFromContext(r.Context())
	return p.TenantSlug
}

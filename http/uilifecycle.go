package http

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/vintry/vintry"
)

// jobPagePath is the log page of job id of the request's tenant.
func jobPagePath(r *http.Request, id int64) string {
	return fmt.Sprintf("/%s%s/logs/%d", url.PathEscape(r.PathValue("tenant")), jobsPath, id)
}

// revertView is the revert confirmation page: what the revert would do.
type revertView struct {
	Job    *vintry.ImportJob
	Result *vintry.RevertResult
}

// handleRevertPage shows what reverting the job would do (a preview that
// writes nothing) and asks for confirmation.
func (s *Server) handleRevertPage(w http.ResponseWriter, r *http.Request) {
	job, err := s.uiRevertableJob(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	res, err := s.Lifecycle.RevertImportJob(r.Context(), job.ID, vintry.RevertOptions{Preview: true})
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "revert.html", fmt.Sprintf("Revert import job %d", job.ID), revertView{Job: job, Result: res})
}

// handleRevertForm reverts the job as confirmed (mode: plain, skip or
// force) and shows the revert job.
func (s *Server) handleRevertForm(w http.ResponseWriter, r *http.Request) {
	// The form is read first: an oversized one is refused, never read as
	// an empty form (which would mean a plain revert).
	if err := readForm(w, r); err != nil {
		s.renderError(w, r, err)
		return
	}
	job, err := s.uiRevertableJob(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var opts vintry.RevertOptions
	switch r.PostFormValue("mode") {
	case "skip":
		opts.SkipConflicts = true
	case "force":
		opts.Force = true
	}
	res, queued, err := s.revert(r.Context(), job.ID, opts)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if queued == nil {
		queued = res.Job
	}
	http.Redirect(w, r, jobPagePath(r, queued.ID), http.StatusSeeOther)
}

// uiRevertableJob returns the job of the request when the user is an admin.
func (s *Server) uiRevertableJob(r *http.Request) (*vintry.ImportJob, error) {
	if p, _ := vintry.PrincipalFromContext(r.Context()); !p.IsAdmin() {
		return nil, vintry.Errorf(vintry.EFORBIDDEN, "Only an admin can revert an import.")
	}
	id, ok := pathID(r, "id")
	if !ok {
		return nil, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound)
	}
	return s.Imports.FindImportJob(r.Context(), id)
}

// handleCancelForm cancels the job and shows it again.
func (s *Server) handleCancelForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.renderError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound))
		return
	}
	if _, err := s.Lifecycle.CancelImportJob(r.Context(), id); err != nil {
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, jobPagePath(r, id), http.StatusSeeOther)
}

package http

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/vintry/vintry"
)

// revertRequest is the optional body of a revert.
type revertRequest struct {
	Force         bool `json:"force"`
	SkipConflicts bool `json:"skip_conflicts"`
}

// revertCounts says what a revert did.
type revertCounts struct {
	RevertsJobLogID int64                   `json:"reverts_job_log_id"`
	Deleted         int                     `json:"deleted"`
	Restored        int                     `json:"restored"`
	Recreated       int                     `json:"recreated"`
	Unchanged       int                     `json:"unchanged"`
	Conflicts       []vintry.RevertConflict `json:"conflicts"`
}

type revertResponse struct {
	Message string       `json:"message"`
	Content jobStatus    `json:"content"`
	Revert  revertCounts `json:"revert"`
}

func (s *Server) handleImportJobRevert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound))
		return
	}
	body, err := readJSONBody(w, r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	opts, err := decodeRevert(body)
	if err != nil {
		writeError(w, r, err)
		return
	}
	res, queued, err := s.revert(r.Context(), id, opts)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if queued != nil {
		writeJSON(w, http.StatusAccepted, queuedRevertResponse{
			Message: fmt.Sprintf("Import job %d revert queued", id), Content: s.jobStatus(r, queued)})
		return
	}
	var out revertResponse
	out.Message = fmt.Sprintf("Import job %d reverted", id)
	out.Content = s.jobStatus(r, res.Job)
	out.Revert = revertCounts{RevertsJobLogID: id, Deleted: res.Deleted, Restored: res.Restored,
		Recreated: res.Recreated, Unchanged: res.Unchanged, Conflicts: res.Conflicts}
	if out.Revert.Conflicts == nil {
		out.Revert.Conflicts = []vintry.RevertConflict{}
	}
	writeJSON(w, http.StatusOK, out)
}

type queuedRevertResponse struct {
	Message string    `json:"message"`
	Content jobStatus `json:"content"`
}

// defaultRevertSyncLimit is Config.RevertSyncLimit when it is 0.
const defaultRevertSyncLimit = 10_000

// revert reverts job id at once, or, when the job has more rows than a
// revert answers within one request (Config.RevertSyncLimit), queues the
// revert and returns its pending job. A preview is always made at once.
func (s *Server) revert(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.RevertResult, *vintry.ImportJob, error) {
	limit := cmp.Or(s.Config.RevertSyncLimit, defaultRevertSyncLimit)
	if !opts.Preview && limit > 0 {
		job, err := s.Imports.FindImportJob(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		if job.Summary.Total > limit {
			queued, err := s.Lifecycle.QueueRevert(ctx, id, opts)
			return nil, queued, err
		}
	}
	res, err := s.Lifecycle.RevertImportJob(ctx, id, opts)
	return res, nil, err
}

// decodeRevert reads a revert body: empty, or a JSON object whose force and
// skip_conflicts, when present, are booleans.
func decodeRevert(body []byte) (vintry.RevertOptions, error) {
	var in revertRequest
	if len(bytes.TrimSpace(body)) == 0 {
		return vintry.RevertOptions{}, nil
	}
	if err := json.Unmarshal(body, &in); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case !errors.As(err, &typeErr):
			return vintry.RevertOptions{}, malformedJSON(err)
		case typeErr.Field == "":
			return vintry.RevertOptions{}, vintry.FieldError("body", "The request body must be a JSON object.")
		default:
			return vintry.RevertOptions{}, vintry.FieldError(typeErr.Field, fmt.Sprintf("The %s field must be a boolean.", typeErr.Field))
		}
	}
	return vintry.RevertOptions{Force: in.Force, SkipConflicts: in.SkipConflicts}, nil
}

func (s *Server) handleImportJobCancel(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		writeError(w, r, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound))
		return
	}
	job, err := s.Lifecycle.CancelImportJob(r.Context(), id)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, jobStatusResponse{Message: "Import job cancelled", Content: s.jobStatus(r, job)})
}

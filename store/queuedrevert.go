package store

import (
	"context"
	"encoding/json"

	"github.com/vintry/vintry"
)

// queueRevert queues the revert of job id in tx, under the tenant's write
// lock: the pending revert job (with its mode), the link from the job it
// reverts, and the worker's queue job are one transaction.
func (s *Service) queueRevert(ctx context.Context, tx *Tx, id int64, opts vintry.RevertOptions) (*vintry.ImportJob, error) {
	if s.Queue == nil {
		return nil, errNoQueue
	}
	tenantID, err := tx.TenantID()
	if err != nil {
		return nil, err
	}
	if err := tx.Lock(ctx, LockWrite, tenantID); err != nil {
		return nil, err
	}
	job, err := findJob(ctx, tx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if err := job.CheckRevertable(); err != nil {
		return nil, err
	}
	rev := newRevertJob(job, tx.Principal.UserID, tx.Now, vintry.StatusPending)
	rev.Log = append(rev.Log, "Queued: the import is too large to revert within one request.")
	if err := insertJob(ctx, tx, rev); err != nil {
		return nil, err
	}
	logLines, err := json.Marshal(rev.Log)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE import_jobs SET revert_mode = ?, log = ? WHERE id = ?`, opts.Mode(), string(logLines), rev.ID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE import_jobs SET reverted_by_job_id = ? WHERE id = ?`, rev.ID, job.ID); err != nil {
		return nil, err
	}
	return rev, s.Queue.EnqueueRevert(ctx, tx, rev.ID)
}

// RunQueuedRevert runs queued revert job jobID and, in the same write
// transaction, complete (the queue job's completion). A revert that
// conflicts is rolled back and ends failed (FailQueuedRevert).
func (s *Service) RunQueuedRevert(ctx context.Context, jobID int64, complete func(*Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	var refused error
	err := s.d.Update(ctx, func(tx *Tx) error {
		var err error
		rev, err = s.runQueuedRevert(ctx, tx, jobID, complete)
		if refused = nil; vintry.ErrorCode(err) == vintry.ECONFLICT {
			refused = err
		}
		return err
	})
	if refused == nil {
		return rev, err
	}
	return s.FailQueuedRevert(ctx, jobID, refused, complete)
}

// runQueuedRevert runs queued revert job jobID in tx, under its row lock
// and the tenant's write lock, and then complete. A revert job already
// finished is only completed. A conflict comes back as the error of
// runRevert (ECONFLICT).
func (s *Service) runQueuedRevert(ctx context.Context, tx *Tx, jobID int64, complete func(*Tx) error) (*vintry.ImportJob, error) {
	rev, err := findJobForWorker(ctx, tx, jobID)
	if err != nil {
		return nil, err
	}
	if rev.Status.Terminal() {
		return rev, complete(tx)
	}
	if err := tx.Lock(ctx, LockWrite, rev.TenantID); err != nil {
		return nil, err
	}
	var mode string
	if err := tx.QueryRow(ctx, `SELECT revert_mode FROM import_jobs WHERE id = ?`, jobID).Scan(&mode); err != nil {
		return nil, err
	}
	reverted, err := findJob(ctx, tx, rev.TenantID, rev.RevertsJobID)
	if err != nil {
		return nil, err
	}
	if _, err := runRevert(ctx, s.revertTx(tx, rev.TenantID), reverted, rev, tx.Now, vintry.RevertOptionsOf(mode), s.RevertChunk); err != nil {
		return rev, err
	}
	return rev, complete(tx)
}

// FailQueuedRevert ends queued revert job jobID as failed for reason
// (refuseQueuedRevert), unless it has finished, frees the job it was to
// revert for another revert, raises the job's event and completes the
// queue job (complete), in one transaction.
func (s *Service) FailQueuedRevert(ctx context.Context, jobID int64, reason error, complete func(*Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	err := s.d.Update(ctx, func(tx *Tx) error {
		var err error
		rev, err = s.failQueuedRevert(ctx, tx, jobID, reason, complete)
		return err
	})
	return rev, err
}

func (s *Service) failQueuedRevert(ctx context.Context, tx *Tx, jobID int64, reason error, complete func(*Tx) error) (*vintry.ImportJob, error) {
	rev, err := findJobForWorker(ctx, tx, jobID)
	if err != nil || rev.Status.Terminal() {
		return rev, err
	}
	refuseQueuedRevert(rev, reason, tx.Now)
	if err := finishJob(ctx, tx, rev); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE import_jobs SET reverted_by_job_id = NULL WHERE id = ? AND reverted_by_job_id = ?`,
		rev.RevertsJobID, rev.ID); err != nil {
		return nil, err
	}
	if err := s.jobFinished(ctx, tx, rev); err != nil {
		return nil, err
	}
	return rev, complete(tx)
}

// finishJob stores a job's status, counts, errors and progress.
func finishJob(ctx context.Context, tx *Tx, job *vintry.ImportJob) error {
	errs, err := json.Marshal(nonNil(job.Errors))
	if err != nil {
		return err
	}
	logLines, err := json.Marshal(nonNil(job.Log))
	if err != nil {
		return err
	}
	s := job.Summary
	return tx.Queue(ctx, `
		UPDATE import_jobs SET status = ?, total = ?, created = ?, updated = ?, unchanged = ?, failed = ?, deleted = ?,
		       errors = ?, steps_done = ?, log = ?, started_at = ?, completed_at = ?
		WHERE id = ?`,
		string(job.Status), s.Total, s.Created, s.Updated, s.Unchanged, s.Failed, s.Deleted,
		string(errs), job.StepsDone, string(logLines), job.StartedAt, job.CompletedAt, job.ID)
}

// nonNil returns s, or an empty slice for nil, so JSON columns hold [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonText marshals v (a value that always marshals) to a JSON string.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

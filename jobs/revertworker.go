package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// RevertArgs are a queued revert's arguments: the revert job's id (its
// options are stored with it).
type RevertArgs struct {
	JobID int64 `json:"job_id"`
}

// Kind implements river.JobArgs.
func (RevertArgs) Kind() string { return "inventory_revert" }

// RevertStore is what the revert worker needs from storage. TTx is the
// engine's transaction type, in which the queue job's completion is
// committed together with the revert.
type RevertStore[TTx any] interface {
	// RunQueuedRevert runs the revert, or fails it for its conflicts.
	RunQueuedRevert(ctx context.Context, jobID int64, complete func(*store.Tx) error) (*vintry.ImportJob, error)
	// FailQueuedRevert ends it as failed for reason.
	FailQueuedRevert(ctx context.Context, jobID int64, reason error, complete func(*store.Tx) error) (*vintry.ImportJob, error)
}

// RevertWorker runs queued reverts (vintry.JobLifecycle.QueueRevert).
type RevertWorker[TTx any] struct {
	river.WorkerDefaults[RevertArgs]
	Store RevertStore[TTx]
	// Complete marks the queue job completed inside tx.
	Complete   func(ctx context.Context, tx TTx, job *river.Job[RevertArgs]) error
	JobTimeout time.Duration // as ImportWorker's
	// Hold takes the queue job's run lock, as ImportWorker's.
	Hold func(ctx context.Context, queueJobID int64) (runCtx context.Context, release func(), ok bool, err error)
}

// Timeout implements river.Worker.
func (w *RevertWorker[TTx]) Timeout(*river.Job[RevertArgs]) time.Duration {
	if w.JobTimeout > 0 {
		return w.JobTimeout
	}
	return jobTimeout(DefaultRescueAfter)
}

// Work implements river.Worker: the revert and the queue job's completion
// are one transaction; a retry after it committed finds the revert job
// finished and only completes the queue job.
func (w *RevertWorker[TTx]) Work(ctx context.Context, job *river.Job[RevertArgs]) error {
	ctx, release, err := hold(ctx, w.Hold, job.ID)
	if err != nil {
		return err
	}
	defer release()
	complete := func(tx *store.Tx) error { return w.Complete(ctx, native[TTx](tx), job) }
	_, err = w.Store.RunQueuedRevert(ctx, job.Args.JobID, complete)
	if vintry.ErrorCode(err) == vintry.ENOTFOUND {
		return river.JobCancel(err)
	}
	if err != nil && job.Attempt >= job.MaxAttempts && ctx.Err() == nil {
		// The last attempt failed for a reason that is not the revert's: end
		// it as failed, so the job it was to revert can be reverted again.
		reason := vintry.Errorf(vintry.EINTERNAL, "The revert could not be processed after %d attempts.", job.Attempt)
		_, ferr := w.Store.FailQueuedRevert(ctx, job.Args.JobID, reason, complete)
		err = errors.Join(err, ferr)
	}
	if err != nil {
		return fmt.Errorf("revert job %d: %w", job.Args.JobID, err)
	}
	return nil
}

// Package jobs runs import jobs on River: the job arguments, the worker that
// walks a queued CSV import through its steps, and the client wiring per
// database engine.
package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/csvin"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/store"
)

// ImportArgs are the queue job's arguments: only the import job's id. The
// upload itself stays in the database, never in the queue.
type ImportArgs struct {
	JobID int64 `json:"job_id"`
}

// Kind implements river.JobArgs.
func (ImportArgs) Kind() string { return "inventory_import" }

// Store is what the worker needs from storage. TTx is the engine's
// transaction type, in which the queue job's completion is committed
// together with the import.
type Store[TTx any] interface {
	StartImportJob(ctx context.Context, jobID int64) (*vintry.QueuedImport, error)
	// CopyJobInput writes a job's upload to w.
	CopyJobInput(ctx context.Context, jobID int64, w io.Writer) error
	// SetImportProgress reports false when the job is no longer processing.
	SetImportProgress(ctx context.Context, jobID int64, stepsDone int, log []string) (bool, error)
	// FinishImportJob reads the rows from src as it decides and applies
	// them (and again for the result files).
	FinishImportJob(ctx context.Context, jobID int64, src importer.Source, log []string,
		complete func(*store.Tx) error) (*vintry.ImportJob, error)
	FailImportJob(ctx context.Context, jobID int64, reason string, log []string,
		complete func(*store.Tx) error) (*vintry.ImportJob, error)
}

// ImportWorker runs queued CSV imports.
type ImportWorker[TTx any] struct {
	river.WorkerDefaults[ImportArgs]
	Store      Store[TTx]
	MaxRecords int
	// ChunkRows is how many rows the worker reads, decides and writes at a
	// time (0: importer.ChunkRows).
	ChunkRows int
	// Node names this process in the job log ("Run by node …"), so operators
	// see which node ran each import.
	Node string
	// Complete marks the queue job completed inside tx (river.JobCompleteTx
	// for the engine's driver).
	Complete func(ctx context.Context, tx TTx, job *river.Job[ImportArgs]) error
	// Finished, if set, is called after a job reaches a terminal status.
	Finished func(job *vintry.ImportJob)
	// BeforeApply, if set, is called before the apply transaction begins (a
	// test hook: it may block to hold a job in "processing").
	BeforeApply func(ctx context.Context, jobID int64)
	// JobTimeout bounds one attempt (0: DefaultRescueAfter's timeout). It
	// must stay below the client's RescueStuckJobsAfter, so a live attempt
	// is cancelled (and rolled back) before River could hand the job to
	// another worker.
	JobTimeout time.Duration
	// Hold, if set, takes the queue job's run lock for the attempt (see
	// postgres.RunLocks): runCtx ends if the lock is lost, release ends the
	// hold, and ok is false when another attempt still holds it (this one
	// then waits and tries again).
	Hold func(ctx context.Context, queueJobID int64) (runCtx context.Context, release func(), ok bool, err error)
}

// runHeldRetry is how long an attempt waits when an earlier attempt of the
// same job still holds its run lock.
const runHeldRetry = time.Second

// waitForEarlierJob is how long a job waits before it checks again whether
// the tenant's earlier imports have finished.
const waitForEarlierJob = 50 * time.Millisecond

// Timeout lets a large file run long; a crashed worker's job is requeued at
// start-up (SQLite) or rescued by River after it (PostgreSQL).
func (w *ImportWorker[TTx]) Timeout(*river.Job[ImportArgs]) time.Duration {
	if w.JobTimeout > 0 {
		return w.JobTimeout
	}
	return jobTimeout(DefaultRescueAfter)
}

// DefaultRescueAfter is how long a job may run before River's rescuer
// considers its worker dead and runs it again, unless Config.RescueAfter
// says otherwise.
const DefaultRescueAfter = 31 * time.Minute

// jobTimeout is the attempt timeout that goes with a rescue delay: a minute
// (or half the delay, if that is shorter) before it, so a live attempt is
// cancelled before its job can be rescued.
func jobTimeout(rescueAfter time.Duration) time.Duration {
	return rescueAfter - min(time.Minute, rescueAfter/2)
}

// hold takes the run lock of queue job id with h (nil: no locks, as on
// SQLite) for one attempt: the attempt's context ends if the lock is lost,
// and release ends the hold. When another attempt still holds it, the error
// snoozes this one.
func hold(ctx context.Context, h func(context.Context, int64) (context.Context, func(), bool, error), id int64) (context.Context, func(), error) {
	if h == nil {
		return ctx, func() {}, nil
	}
	runCtx, release, ok, err := h(ctx, id)
	if err != nil {
		return nil, nil, err
	} else if !ok {
		return nil, nil, river.JobSnooze(runHeldRetry)
	}
	return runCtx, release, nil
}

// Work implements river.Worker: the steps "read header and mapping", "stage
// rows", "validate rows", then "apply changes" and "write result files" in
// one transaction with the queue job's completion.
func (w *ImportWorker[TTx]) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	ctx, release, err := hold(ctx, w.Hold, job.ID)
	if err != nil {
		return err
	}
	defer release()
	err = w.work(ctx, job)
	var e *vintry.Error
	if err == nil || errors.As(err, &e) || job.Attempt < job.MaxAttempts || ctx.Err() != nil {
		return err
	}
	// The last attempt failed for a reason that is not the file's fault: end
	// the job as failed, so its status is final and later jobs of the tenant
	// do not wait for it forever.
	reason := fmt.Sprintf("The import could not be processed after %d attempts; nothing was written.", job.Attempt)
	failed, ferr := w.Store.FailImportJob(ctx, job.Args.JobID, reason, nil,
		func(tx *store.Tx) error { return w.Complete(ctx, native[TTx](tx), job) })
	w.finished(failed, ferr)
	return errors.Join(err, ferr)
}

func (w *ImportWorker[TTx]) work(ctx context.Context, job *river.Job[ImportArgs]) error {
	complete := func(tx *store.Tx) error { return w.Complete(ctx, native[TTx](tx), job) }
	q, err := w.Store.StartImportJob(ctx, job.Args.JobID)
	if vintry.ErrorCode(err) == vintry.ENOTFOUND {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if q.Job.Status.Terminal() {
		return nil // its effect was committed by an earlier attempt
	}
	if q.Wait {
		return river.JobSnooze(waitForEarlierJob)
	}
	ran := fmt.Sprintf("Run by node %s (attempt %d).", w.Node, job.Attempt)
	// The upload goes to a temporary file, read from there for each pass
	// over its rows: a large file costs disk, not memory. Its name is
	// removed at once, so even a killed process leaves nothing behind (the
	// open file lives until it is closed).
	file, err := os.CreateTemp("", "vintry-import-*.csv")
	if err != nil {
		return err
	}
	removed := os.Remove(file.Name()) == nil
	defer func() {
		file.Close()
		if !removed { // a system that cannot remove an open file
			os.Remove(file.Name())
		}
	}()
	if err := w.Store.CopyJobInput(ctx, q.Job.ID, file); err != nil {
		return err
	}
	info, err := file.Stat()
	if err != nil {
		return err
	}
	upload, err := openUpload(q, file, info.Size(), w.MaxRecords)
	if err != nil {
		return w.fail(ctx, q.Job.ID, err, []string{ran}, complete)
	}
	upload.Log = append([]string{ran}, upload.Log...)
	// Between steps the worker stops as soon as the job was cancelled. The
	// apply transaction checks again under its lock, so a cancel that lands
	// after the last check still wins over the apply (or is refused, if the
	// apply committed first).
	for step := 2; step <= 3; step++ { // header and mapping read; rows staged
		if running, err := w.Store.SetImportProgress(ctx, q.Job.ID, step, upload.Log); err != nil || !running {
			return err
		}
	}
	// Step 4 ("validate rows"): the checks run in the apply transaction,
	// against the state it locks. A first run on a read snapshot only
	// reported what that run decides again, at the cost of a second pass
	// over the whole file and a second plan in memory.
	if running, err := w.Store.SetImportProgress(ctx, q.Job.ID, 4, upload.Log); err != nil || !running {
		return err
	}
	if w.BeforeApply != nil {
		w.BeforeApply(ctx, q.Job.ID)
	}
	// The rows are read as they are applied, a chunk at a time. The upload
	// check read them all when the file was accepted, but a row the file
	// fails on now (say, one over a lower limit) fails the job as a whole:
	// the apply is rolled back, and the job ends failed in a transaction of
	// its own.
	var fileErr error
	src := func(fn func([]vintry.ImportRow) error) error {
		var fnErr error
		err := upload.Each(cmp.Or(w.ChunkRows, importer.ChunkRows), func(rows []vintry.ImportRow) error {
			fnErr = fn(rows)
			return fnErr
		})
		if err != nil && fnErr == nil {
			fileErr = err
		}
		return err
	}
	done, err := w.Store.FinishImportJob(ctx, q.Job.ID, src, upload.Log, complete)
	if err != nil && fileErr != nil {
		return w.fail(ctx, q.Job.ID, fileErr, upload.Log, complete)
	}
	w.finished(done, err)
	return err
}

// fail ends a job whose file cannot be imported (err is a *vintry.Error; any
// other error is returned for the attempt to fail).
func (w *ImportWorker[TTx]) fail(ctx context.Context, jobID int64, err error, log []string,
	complete func(*store.Tx) error) error {
	var e *vintry.Error
	if !errors.As(err, &e) {
		return err
	}
	failed, err := w.Store.FailImportJob(ctx, jobID, e.Message, log, complete)
	w.finished(failed, err)
	return err
}

func (w *ImportWorker[TTx]) finished(job *vintry.ImportJob, err error) {
	if err == nil && w.Finished != nil && job != nil {
		w.Finished(job)
	}
}

// openUpload opens a queued job's file as the upload check did.
func openUpload(q *vintry.QueuedImport, file io.ReaderAt, size int64, maxRecords int) (*csvin.Upload, error) {
	var mappings csvin.FieldMappings
	if q.FieldMappings != "" {
		var err error
		if mappings, err = csvin.ParseFieldMappings(q.FieldMappings); err != nil {
			return nil, err
		}
	}
	u, err := csvin.OpenUpload(file, size, q.Job.Args.HeadersMatchExactly, mappings, maxRecords)
	if err == nil && q.MappingProfile != "" {
		u.Log = append([]string{vintry.MappingProfileLog(q.MappingProfile)}, u.Log...)
	}
	return u, err
}

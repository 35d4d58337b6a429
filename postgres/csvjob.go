package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/store"
)

// QueueImport implements vintry.JobQueue. It holds the tenant's queue lock,
// so the tenant's job ids follow the order in which uploads commit, on
// every node.
func (db *DB) QueueImport(ctx context.Context, req vintry.QueueRequest) (*vintry.ImportJob, bool, error) {
	if db.EnqueueImport == nil {
		return nil, false, errors.New("postgres: no job queue configured")
	}
	var job *vintry.ImportJob
	var replayed bool
	err := db.update(ctx, func(tx *Tx) error {
		job, replayed = nil, false
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if err := tx.lockTenant(ctx, lockQueue, tenantID); err != nil {
			return err
		}
		if job, err = tx.replay(ctx, tenantID, req.IdempotencyKey, req.RequestHash); err != nil || job != nil {
			replayed = job != nil
			return err
		}
		job = &vintry.ImportJob{
			TenantID: tenantID, UserID: tx.principal.UserID, Source: vintry.SourceCSV, Status: vintry.StatusPending,
			Args: req.Args, FileName: req.FileName, StepsDone: 1, CreatedAt: tx.now,
		}
		if req.MappingProfile != "" {
			job.Log = []string{vintry.MappingProfileLog(storableText(req.MappingProfile))}
		}
		if err := tx.insertImportJob(ctx, job); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET field_mappings = $1, mapping_profile = $2 WHERE id = $3`,
			storableText(req.FieldMappings), storableText(req.MappingProfile), job.ID); err != nil {
			return err
		}
		if err := tx.putFile(ctx, job, vintry.FileInput, req.File); err != nil {
			return err
		}
		if err := db.EnqueueImport(ctx, tx.Tx, job.ID); err != nil {
			return err
		}
		return tx.rememberKey(ctx, tenantID, req.IdempotencyKey, req.RequestHash, job.ID)
	})
	if err != nil {
		return nil, false, err
	}
	return job, replayed, nil
}

// StartImportJob marks a queued job processing and returns it with its
// mappings (CopyJobInput reads its upload). A job already finished (its completion committed, the queue's
// acknowledgement lost) is returned as it is, for the worker to skip. Wait
// is set while an earlier CSV job of the tenant is unfinished: the check
// reads committed state, so it holds whichever node runs which job.
func (db *DB) StartImportJob(ctx context.Context, jobID int64) (*vintry.QueuedImport, error) {
	q := &vintry.QueuedImport{}
	err := db.update(ctx, func(tx *Tx) error {
		*q = vintry.QueuedImport{}
		// Locked: a run still finishing the job elsewhere commits first, and
		// this one then sees the job finished instead of reopening it.
		job, err := tx.findJobForWorker(ctx, jobID)
		q.Job = job
		if err != nil || job.Status.Terminal() {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_jobs WHERE tenant_id = $1 AND id < $2
			AND source = 'csv' AND status IN ('pending', 'processing'))`, job.TenantID, job.ID).Scan(&q.Wait)
		if err != nil || q.Wait {
			return err
		}
		if job.StartedAt == nil {
			job.StartedAt = &tx.now
		}
		job.Status = vintry.StatusProcessing
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET status = $1, started_at = $2 WHERE id = $3`,
			string(job.Status), nullTime(job.StartedAt), job.ID); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT field_mappings, mapping_profile FROM import_jobs WHERE id = $1`,
			job.ID).Scan(&q.FieldMappings, &q.MappingProfile); err != nil {
			return err
		}
		return nil
	})
	return q, err
}

// findJobForWorker loads a job by id alone (workers act for the job's own
// tenant, not for a request's principal) and locks its row until the
// transaction ends: only one transaction at a time can start or finish the
// job, and the next sees what the last one committed.
func (tx *Tx) findJobForWorker(ctx context.Context, jobID int64) (*vintry.ImportJob, error) {
	j, err := store.ScanImportJob(tx.store().QueryRow(ctx, store.ImportJobSelect+` WHERE id = ? FOR UPDATE`, jobID))
	if errors.Is(err, store.ErrNoRows) {
		return nil, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound)
	}
	return j, err
}

// SetImportProgress records that a running job finished stepsDone steps.
// It reports false when the job is no longer processing (it was
// cancelled), for the worker to stop.
func (db *DB) SetImportProgress(ctx context.Context, jobID int64, stepsDone int, log []string) (bool, error) {
	logLines, err := jsonText(nonNil(log))
	if err != nil {
		return false, err
	}
	var running bool
	err = db.update(ctx, func(tx *Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE import_jobs SET steps_done = $1, log = $2 WHERE id = $3 AND status = 'processing'`,
			stepsDone, logLines, jobID)
		running = tag.RowsAffected() > 0
		return err
	})
	return running, err
}

// FinishImportJob applies a running job's rows, stores its result files and
// final state, and calls complete (the queue's acknowledgement) in the same
// transaction, so the job's effect happens exactly once even when two nodes
// run it (a rescued job whose first run was still alive): the job's row is
// locked first, and the tenant's write lock before the rows are decided.
func (db *DB) FinishImportJob(ctx context.Context, jobID int64, rows importer.Source, log []string,
	complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = tx.findJobForWorker(ctx, jobID); err != nil {
			return err
		}
		if !job.Status.Terminal() {
			if err := tx.lockTenant(ctx, lockWrite, job.TenantID); err != nil {
				return err
			}
			job.Log = log
			if err := db.runImport(ctx, tx, job, rows, nil); err != nil {
				return err
			}
		}
		return complete(ctx, tx.Tx)
	})
	return job, err
}

// FailImportJob ends a job whose file could not be processed: nothing is
// written, the reason is the job's error, and complete runs in the same
// transaction.
func (db *DB) FailImportJob(ctx context.Context, jobID int64, reason string, log []string,
	complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = tx.findJobForWorker(ctx, jobID); err != nil {
			return err
		}
		if !job.Status.Terminal() {
			job.Status, job.Log = vintry.StatusFailed, append(append([]string(nil), log...), reason)
			out := importer.FailedOutcome(reason)
			job.Errors = out.Errors
			if err := tx.finishWithFiles(ctx, job, out, importer.SliceSource(nil), nil); err != nil {
				return err
			}
		}
		return complete(ctx, tx.Tx)
	})
	return job, err
}

package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/store"
)

// QueueImport implements vintry.JobQueue.
func (db *DB) QueueImport(ctx context.Context, req vintry.QueueRequest) (*vintry.ImportJob, bool, error) {
	if db.EnqueueImport == nil {
		return nil, false, errors.New("sqlite: no job queue configured")
	}
	var job *vintry.ImportJob
	var replayed bool
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
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
			job.Log = []string{vintry.MappingProfileLog(req.MappingProfile)}
		}
		if err := tx.insertImportJob(ctx, job); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE import_jobs SET field_mappings = ?, mapping_profile = ? WHERE id = ?`,
			req.FieldMappings, req.MappingProfile, job.ID); err != nil {
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
// acknowledgement lost) is returned as it is, for the worker to skip.
func (db *DB) StartImportJob(ctx context.Context, jobID int64) (*vintry.QueuedImport, error) {
	q := &vintry.QueuedImport{}
	err := db.update(ctx, func(tx *Tx) error {
		job, err := tx.findJobForWorker(ctx, jobID)
		if err != nil || job.Status.Terminal() {
			q.Job = job
			return err
		}
		q.Job = job
		err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM import_jobs WHERE tenant_id = ? AND id < ?
			AND source = 'csv' AND status IN ('pending', 'processing'))`, job.TenantID, job.ID).Scan(&q.Wait)
		if err != nil || q.Wait {
			return err
		}
		if job.StartedAt == nil {
			job.StartedAt = &tx.now
		}
		job.Status = vintry.StatusProcessing
		if _, err := tx.ExecContext(ctx, `UPDATE import_jobs SET status = ?, started_at = ? WHERE id = ?`,
			string(job.Status), nullTime(job.StartedAt), job.ID); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT field_mappings, mapping_profile FROM import_jobs WHERE id = ?`,
			job.ID).Scan(&q.FieldMappings, &q.MappingProfile); err != nil {
			return err
		}
		return nil
	})
	return q, err
}

// findJobForWorker loads a job by id alone: workers act for the job's own
// tenant, not for a request's principal.
func (tx *Tx) findJobForWorker(ctx context.Context, jobID int64) (*vintry.ImportJob, error) {
	j, err := store.ScanImportJob(tx.store().QueryRow(ctx, store.ImportJobSelect+` WHERE id = ?`, jobID))
	if errors.Is(err, store.ErrNoRows) {
		return nil, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound)
	}
	return j, err
}

// SetImportProgress records that a running job finished stepsDone steps.
// It reports false when the job is no longer processing (it was
// cancelled), for the worker to stop.
func (db *DB) SetImportProgress(ctx context.Context, jobID int64, stepsDone int, log []string) (bool, error) {
	var running bool
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET steps_done = ?, log = ? WHERE id = ? AND status = 'processing'`,
			stepsDone, jsonText(nonNil(log)), jobID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		running = n > 0
		return err
	})
	return running, err
}

// FinishImportJob applies a running job's rows, stores its result files and
// final state, and calls complete (the queue's acknowledgement) in the same
// transaction, so the job's effect happens exactly once.
func (db *DB) FinishImportJob(ctx context.Context, jobID int64, rows importer.Source, log []string,
	complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = tx.findJobForWorker(ctx, jobID); err != nil {
			return err
		}
		if !job.Status.Terminal() {
			job.Log = log
			if err := db.runImport(ctx, tx, job, rows); err != nil {
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
	complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = tx.findJobForWorker(ctx, jobID); err != nil {
			return err
		}
		if !job.Status.Terminal() {
			job.Status, job.Log = vintry.StatusFailed, append(log, reason)
			out := importer.FailedOutcome(reason)
			job.Errors = out.Errors
			if err := tx.finishWithFiles(ctx, job, out, importer.SliceSource(nil)); err != nil {
				return err
			}
		}
		return complete(ctx, tx.Tx)
	})
	return job, err
}

// RequeueOrphanedJobs puts queue jobs left running back in the queue. SQLite
// serves one node (serve holds a lock on the data dir), so at start-up any
// job still marked running was held by a process that died; its import
// transaction was rolled back with it.
func (db *DB) RequeueOrphanedJobs(ctx context.Context) (int64, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

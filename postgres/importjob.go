package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/store"
)

// ImportRows implements vintry.ImportService: the idempotency check, the job
// record, the validation, the inventory writes, the job's files and its final
// state are one transaction, which holds the tenant's write lock.
func (db *DB) ImportRows(ctx context.Context, req vintry.ImportRequest) (*vintry.ImportJob, bool, error) {
	// Rendered before the write transaction begins: work done inside it holds
	// up every other writer of the tenant (on SQLite, of the database).
	input, err := importer.InputCSV(req.Rows)
	if err != nil {
		return nil, false, err
	}
	var job *vintry.ImportJob
	var replayed bool
	err = db.update(ctx, func(tx *Tx) error {
		job, replayed = nil, false
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if err := tx.lockTenant(ctx, lockWrite, tenantID); err != nil {
			return err
		}
		if job, err = tx.replay(ctx, tenantID, req.IdempotencyKey, req.RequestHash); err != nil || job != nil {
			replayed = job != nil
			return err
		}
		job = &vintry.ImportJob{
			TenantID: tenantID, UserID: tx.principal.UserID, Source: vintry.SourceAPI,
			Status: vintry.StatusProcessing, Args: req.Args, CreatedAt: tx.now, StartedAt: &tx.now,
		}
		if err := tx.insertImportJob(ctx, job); err != nil {
			return err
		}
		if err := db.runImport(ctx, tx, job, importer.SliceSource(req.Rows), input); err != nil {
			return err
		}
		return tx.rememberKey(ctx, tenantID, req.IdempotencyKey, req.RequestHash, job.ID)
	})
	if err != nil {
		return nil, false, err
	}
	return job, replayed, nil
}

// runImport decides the rows of src against the transaction's state, applies
// the changes (unless the job is a dry run or fails as a whole), stores the
// result files (and input, when not nil) and finishes the job record. The
// caller holds the tenant's write lock.
func (db *DB) runImport(ctx context.Context, tx *Tx, job *vintry.ImportJob, src importer.Source, input []byte) error {
	out, err := importer.Apply(ctx, importStore{tx: tx, tenantID: job.TenantID, jobID: job.ID}, job.Args, src)
	if err != nil {
		return err
	}
	if db.FaultApplyDelay > 0 {
		// Fault injection for crash tests: hold the apply transaction open.
		select {
		case <-time.After(db.FaultApplyDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	job.Status, job.Summary, job.Errors = out.Status, out.Summary, out.Errors
	return tx.finishWithFiles(ctx, job, out, src, input)
}

// finishWithFiles stores an import's result files, rendered from its rows
// (src) and outcome as they are stored, its input (when not nil) and the
// job's final state: in one round trip for a small job.
func (tx *Tx) finishWithFiles(ctx context.Context, job *vintry.ImportJob, out *importer.Outcome, src importer.Source, input []byte) error {
	fb := &fileBatch{tx: tx, batch: &pgx.Batch{}}
	if input != nil {
		tx.queueFile(fb.batch, job, vintry.FileInput, input)
	}
	for _, f := range store.ResultFiles(out, src) {
		r := store.Pipe(f.Render)
		err := fb.queueFrom(ctx, job, f.Kind, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	// The job finishes now, after its apply and files, not when its
	// transaction began.
	done := tx.db.Now().UTC().Truncate(time.Microsecond)
	job.StepsDone, job.CompletedAt = len(vintry.JobSteps), &done
	if err := queueFinishImportJob(fb.batch, job); err != nil {
		return err
	}
	if err := fb.send(ctx); err != nil {
		return err
	}
	return tx.jobFinished(ctx, job)
}

// replay returns the job an idempotency key already stands for, nil when the
// key is new (or empty), or EINVALID when it was used with another request.
func (tx *Tx) replay(ctx context.Context, tenantID int64, key string, hash []byte) (*vintry.ImportJob, error) {
	if key == "" {
		return nil, nil
	}
	jobID, err := tx.findIdempotentJob(ctx, tenantID, key, hash)
	if err != nil || jobID == 0 {
		return nil, err
	}
	return tx.findImportJob(ctx, tenantID, jobID)
}

// rememberKey records that an idempotency key stands for a job. When a
// concurrent request (of the other import method, which takes another lock)
// recorded the key first, the transaction runs again and replays its job.
func (tx *Tx) rememberKey(ctx context.Context, tenantID int64, key string, hash []byte, jobID int64) error {
	if key == "" {
		return nil
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, key) DO NOTHING`, tenantID, []byte(key), hash, jobID, tx.now)
	if err == nil && tag.RowsAffected() == 0 {
		return errRetry
	}
	return err
}

// findIdempotentJob returns the job recorded for an idempotency key within
// the window, 0 if there is none, or EINVALID when the key was used with a
// different request. An expired key is forgotten.
func (tx *Tx) findIdempotentJob(ctx context.Context, tenantID int64, key string, want []byte) (int64, error) {
	var hash []byte
	var jobID int64
	var created time.Time
	err := tx.QueryRow(ctx, `SELECT request_hash, job_id, created_at FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`,
		tenantID, []byte(key)).Scan(&hash, &jobID, &created)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if tx.now.Sub(created) >= vintry.IdempotencyWindow {
		_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, tenantID, []byte(key))
		return 0, err
	}
	if !bytes.Equal(hash, want) {
		return 0, vintry.FieldError("Idempotency-Key", vintry.MsgIdempotencyMismatch)
	}
	return jobID, nil
}

func (tx *Tx) insertImportJob(ctx context.Context, job *vintry.ImportJob) error {
	return store.InsertJob(ctx, tx.store(), job)
}

// queueFinishImportJob queues the update of a job's status, counts, errors
// and progress.
func queueFinishImportJob(batch *pgx.Batch, job *vintry.ImportJob) error {
	errs, err := json.Marshal(nonNil(job.Errors))
	if err != nil {
		return err
	}
	logLines, err := json.Marshal(nonNil(job.Log))
	if err != nil {
		return err
	}
	s := job.Summary
	batch.Queue(`
		UPDATE import_jobs SET status = $1, total = $2, created = $3, updated = $4, unchanged = $5, failed = $6,
		       errors = $7, steps_done = $8, log = $9, started_at = $10, completed_at = $11, deleted = $13
		WHERE id = $12`,
		string(job.Status), s.Total, s.Created, s.Updated, s.Unchanged, s.Failed,
		string(errs), job.StepsDone, string(logLines), nullTime(job.StartedAt), nullTime(job.CompletedAt), job.ID, s.Deleted)
	return nil
}

// findImportJob returns job id of tenant tenantID (store.FindJob).
func (tx *Tx) findImportJob(ctx context.Context, tenantID, id int64) (*vintry.ImportJob, error) {
	return store.FindJob(ctx, tx.store(), tenantID, id)
}

// nonNil returns s, or an empty slice for nil, so JSON columns hold [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

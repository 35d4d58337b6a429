package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
	"github.com/vintry/vintry/store"
)

// ImportRows implements vintry.ImportService: the idempotency check, the job
// record, the validation, the inventory writes, the job's files and its final
// state are one transaction.
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
		tenantID, err := tx.tenantID()
		if err != nil {
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
		if err := tx.putFile(ctx, job, vintry.FileInput, input); err != nil {
			return err
		}
		if err := db.runImport(ctx, tx, job, importer.SliceSource(req.Rows)); err != nil {
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
// result files and finishes the job record.
func (db *DB) runImport(ctx context.Context, tx *Tx, job *vintry.ImportJob, src importer.Source) error {
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
	return tx.finishWithFiles(ctx, job, out, src)
}

// finishWithFiles stores an import's result files, rendered from its rows
// (src) and outcome as they are stored, and the job's final state.
func (tx *Tx) finishWithFiles(ctx context.Context, job *vintry.ImportJob, out *importer.Outcome, src importer.Source) error {
	for _, f := range store.ResultFiles(out, src) {
		r := store.Pipe(f.Render)
		err := tx.putFileFrom(ctx, job, f.Kind, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	// The job finishes now, after its apply and files, not when its
	// transaction began.
	done := tx.db.Now().UTC()
	job.StepsDone, job.CompletedAt = len(vintry.JobSteps), &done
	if err := tx.finishImportJob(ctx, job); err != nil {
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

// rememberKey records that an idempotency key stands for a job.
func (tx *Tx) rememberKey(ctx context.Context, tenantID int64, key string, hash []byte, jobID int64) error {
	if key == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		tenantID, key, hash, jobID, formatTime(tx.now))
	return err
}

// findIdempotentJob returns the job recorded for an idempotency key within
// the window, 0 if there is none, or EINVALID when the key was used with a
// different request. An expired key is forgotten.
func (tx *Tx) findIdempotentJob(ctx context.Context, tenantID int64, key string, want []byte) (int64, error) {
	var hash []byte
	var jobID int64
	var created string
	err := tx.QueryRowContext(ctx, `SELECT request_hash, job_id, created_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?`,
		tenantID, key).Scan(&hash, &jobID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if tx.now.Sub(parseTime(created)) >= vintry.IdempotencyWindow {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, key)
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

// finishImportJob stores a job's status, counts, errors and progress.
func (tx *Tx) finishImportJob(ctx context.Context, job *vintry.ImportJob) error {
	return store.FinishJob(ctx, tx.store(), job)
}

// findImportJob returns job id of tenant tenantID (store.FindJob).
func (tx *Tx) findImportJob(ctx context.Context, tenantID, id int64) (*vintry.ImportJob, error) {
	return store.FindJob(ctx, tx.store(), tenantID, id)
}

// nullTime returns t formatted, or nil for SQL NULL.
func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

// nullID returns id, or nil for SQL NULL when it is 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
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

package store

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// ImportRows implements vintry.ImportService: the idempotency check, the job
// record, the validation, the inventory writes, the job's files and its final
// state are one transaction, which holds the tenant's write lock.
func (s *Service) ImportRows(ctx context.Context, req vintry.ImportRequest) (*vintry.ImportJob, bool, error) {
	// Rendered before the write transaction begins: work done inside it holds
	// up every other writer of the tenant (on SQLite, of the database).
	input, err := importer.InputCSV(req.Rows)
	if err != nil {
		return nil, false, err
	}
	var job *vintry.ImportJob
	var replayed bool
	err = s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := lockAndReplay(ctx, tx, LockWrite, req.IdempotencyKey, req.RequestHash, &job, &replayed)
		if err != nil || replayed {
			return err
		}
		now := tx.Now
		job = &vintry.ImportJob{
			TenantID: tenantID, UserID: tx.Principal.UserID, Source: vintry.SourceAPI,
			Status: vintry.StatusProcessing, Args: req.Args, CreatedAt: now, StartedAt: &now,
		}
		if err := insertJob(ctx, tx, job); err != nil {
			return err
		}
		if err := s.putBytes(ctx, tx, job, vintry.FileInput, input); err != nil {
			return err
		}
		if err := s.runImport(ctx, tx, job, importer.SliceSource(req.Rows)); err != nil {
			return err
		}
		return rememberKey(ctx, tx, tenantID, req.IdempotencyKey, req.RequestHash, job.ID)
	})
	if err != nil {
		return nil, false, err
	}
	return job, replayed, nil
}

// runImport decides the rows of src against the transaction's state, applies
// the changes with the engine's import writer (unless the job is a dry run
// or fails as a whole), stores the result files and finishes the job
// record. The caller holds the tenant's write lock.
func (s *Service) runImport(ctx context.Context, tx *Tx, job *vintry.ImportJob, src importer.Source) error {
	w := importWriter{RecordWriter: tx.Engine.ImportWriter(job.TenantID, job.ID), tx: tx, tenantID: job.TenantID}
	out, err := importer.Apply(ctx, w, job.Args, src)
	if err != nil {
		return err
	}
	if s.FaultApplyDelay > 0 {
		// Fault injection for crash tests: hold the apply transaction open.
		select {
		case <-time.After(s.FaultApplyDelay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	job.Status, job.Summary, job.Errors = out.Status, out.Summary, out.Errors
	return s.finishWithFiles(ctx, tx, job, out, src)
}

// finishWithFiles stores an import's result files, rendered from its rows
// (src) and outcome as they are stored, and the job's final state: queued,
// so a small job's files and state go in one round trip where the engine
// batches.
func (s *Service) finishWithFiles(ctx context.Context, tx *Tx, job *vintry.ImportJob, out *importer.Outcome, src importer.Source) error {
	for _, f := range resultFiles(out, src) {
		if err := s.PutFile(ctx, tx, job, f.Kind, f.Render); err != nil {
			return err
		}
	}
	// The job finishes now, after its apply and files, not when its
	// transaction began.
	done := s.d.Now()
	job.StepsDone, job.CompletedAt = len(vintry.JobSteps), &done
	if err := finishJob(ctx, tx, job); err != nil {
		return err
	}
	return s.jobFinished(ctx, tx, job)
}

// jobFinished is the one hook of every transition of a job to a terminal
// status, called inside that transition's transaction: the deliveries its
// event raises (insertDeliveries) are written and queued in the same commit.
func (s *Service) jobFinished(ctx context.Context, tx *Tx, job *vintry.ImportJob) error {
	ids, err := insertDeliveries(ctx, tx, job)
	if err != nil || len(ids) == 0 || s.Queue == nil {
		return err
	}
	return s.Queue.EnqueueWebhooks(ctx, tx, ids)
}

// lockAndReplay begins an import request in tx: it takes the tenant's lock
// of class, then sets *job to the job the idempotency key already stands
// for (and *replayed), or to nil for a new request.
func lockAndReplay(ctx context.Context, tx *Tx, class, key string, hash []byte, job **vintry.ImportJob, replayed *bool) (int64, error) {
	*job, *replayed = nil, false
	tenantID, err := tx.TenantID()
	if err != nil {
		return 0, err
	}
	if err := tx.Lock(ctx, class, tenantID); err != nil {
		return 0, err
	}
	*job, err = replay(ctx, tx, tenantID, key, hash)
	*replayed = *job != nil
	return tenantID, err
}

// replay returns the job an idempotency key already stands for, nil when the
// key is new (or empty), or EINVALID when it was used with another request.
func replay(ctx context.Context, tx *Tx, tenantID int64, key string, hash []byte) (*vintry.ImportJob, error) {
	if key == "" {
		return nil, nil
	}
	jobID, err := findIdempotentJob(ctx, tx, tenantID, key, hash)
	if err != nil || jobID == 0 {
		return nil, err
	}
	return findJob(ctx, tx, tenantID, jobID)
}

// rememberKey records that an idempotency key stands for a job. When a
// concurrent request (of the other import method, which takes another lock)
// recorded the key first, the transaction runs again and replays its job.
func rememberKey(ctx context.Context, tx *Tx, tenantID int64, key string, hash []byte, jobID int64) error {
	if key == "" {
		return nil
	}
	n, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, job_id, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, key) DO NOTHING`, tenantID, Opaque(key), hash, jobID, tx.Now)
	if err == nil && n == 0 {
		return ErrRetry
	}
	return err
}

// findIdempotentJob returns the job recorded for an idempotency key within
// the window, 0 if there is none, or EINVALID when the key was used with a
// different request. An expired key is forgotten.
func findIdempotentJob(ctx context.Context, tx *Tx, tenantID int64, key string, want []byte) (int64, error) {
	var hash []byte
	var jobID int64
	var created time.Time
	err := tx.QueryRow(ctx, `SELECT request_hash, job_id, created_at FROM idempotency_keys WHERE tenant_id = ? AND key = ?`,
		tenantID, Opaque(key)).Scan(&hash, &jobID, &created)
	if errors.Is(err, ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	if tx.Now.Sub(created) >= vintry.IdempotencyWindow {
		_, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, Opaque(key))
		return 0, err
	}
	if !bytes.Equal(hash, want) {
		return 0, vintry.FieldError("Idempotency-Key", vintry.MsgIdempotencyMismatch)
	}
	return jobID, nil
}

// QueueImport implements vintry.JobQueue. It holds the tenant's queue lock,
// so the tenant's job ids follow the order in which uploads commit, on
// every node.
func (s *Service) QueueImport(ctx context.Context, req vintry.QueueRequest) (*vintry.ImportJob, bool, error) {
	if s.Queue == nil {
		return nil, false, errNoQueue
	}
	var job *vintry.ImportJob
	var replayed bool
	err := s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := lockAndReplay(ctx, tx, LockQueue, req.IdempotencyKey, req.RequestHash, &job, &replayed)
		if err != nil || replayed {
			return err
		}
		job = &vintry.ImportJob{
			TenantID: tenantID, UserID: tx.Principal.UserID, Source: vintry.SourceCSV, Status: vintry.StatusPending,
			Args: req.Args, FileName: req.FileName, StepsDone: 1, CreatedAt: tx.Now,
		}
		if req.MappingProfile != "" {
			job.Log = []string{vintry.MappingProfileLog(req.MappingProfile)}
		}
		if err := insertJob(ctx, tx, job); err != nil {
			return err
		}
		if err := tx.Queue(ctx, `UPDATE import_jobs SET field_mappings = ?, mapping_profile = ? WHERE id = ?`,
			req.FieldMappings, req.MappingProfile, job.ID); err != nil {
			return err
		}
		if err := s.putBytes(ctx, tx, job, vintry.FileInput, req.File); err != nil {
			return err
		}
		if err := s.Queue.EnqueueImport(ctx, tx, job.ID); err != nil {
			return err
		}
		return rememberKey(ctx, tx, tenantID, req.IdempotencyKey, req.RequestHash, job.ID)
	})
	if err != nil {
		return nil, false, err
	}
	return job, replayed, nil
}

// StartImportJob marks a queued job processing and returns it with its
// mappings (CopyJobInput reads its upload). A job already finished (its
// completion committed, the queue's acknowledgement lost) is returned as it
// is, for the worker to skip. Wait is set while an earlier CSV job of the
// tenant is unfinished: the check reads committed state, so it holds
// whichever node runs which job.
func (s *Service) StartImportJob(ctx context.Context, jobID int64) (*vintry.QueuedImport, error) {
	q := &vintry.QueuedImport{}
	err := s.d.Update(ctx, func(tx *Tx) error {
		*q = vintry.QueuedImport{}
		job, err := findJobForWorker(ctx, tx, jobID)
		q.Job = job
		if err != nil || job.Status.Terminal() {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM import_jobs WHERE tenant_id = ? AND id < ?
			AND source = 'csv' AND status IN ('pending', 'processing'))`, job.TenantID, job.ID).Scan(&q.Wait)
		if err != nil || q.Wait {
			return err
		}
		if job.StartedAt == nil {
			now := tx.Now
			job.StartedAt = &now
		}
		job.Status = vintry.StatusProcessing
		if _, err := tx.Exec(ctx, `UPDATE import_jobs SET status = ?, started_at = ? WHERE id = ?`,
			string(job.Status), job.StartedAt, job.ID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT field_mappings, mapping_profile FROM import_jobs WHERE id = ?`,
			job.ID).Scan(&q.FieldMappings, &q.MappingProfile)
	})
	return q, err
}

// findJobForWorker loads a job by id alone (workers act for the job's own
// tenant, not for a request's principal) and locks its row until the
// transaction ends: only one transaction at a time can start or finish the
// job, and the next sees what the last one committed.
func findJobForWorker(ctx context.Context, tx *Tx, jobID int64) (*vintry.ImportJob, error) {
	return queryJob(ctx, tx, ` WHERE id = ?`+tx.Dialect.LockRow(), jobID)
}

// SetImportProgress records that a running job finished stepsDone steps.
// It reports false when the job is no longer processing (it was
// cancelled), for the worker to stop.
func (s *Service) SetImportProgress(ctx context.Context, jobID int64, stepsDone int, log []string) (bool, error) {
	var running bool
	err := s.d.Update(ctx, func(tx *Tx) error {
		n, err := tx.Exec(ctx, `UPDATE import_jobs SET steps_done = ?, log = ? WHERE id = ? AND status = 'processing'`,
			stepsDone, jsonText(nonNil(log)), jobID)
		running = n > 0
		return err
	})
	return running, err
}

// FinishImportJob applies the rows of running job jobID, stores its result
// files and final state, and calls complete (the queue's acknowledgement)
// in the same transaction, so the job's effect happens exactly once even
// when two nodes run it (a rescued job whose first run was still alive):
// the job's row is locked first, and the tenant's write lock taken before
// the rows are decided.
func (s *Service) FinishImportJob(ctx context.Context, jobID int64, rows importer.Source, log []string,
	complete func(*Tx) error) (*vintry.ImportJob, error) {
	return s.endWorkerJob(ctx, jobID, complete, func(tx *Tx, job *vintry.ImportJob) error {
		if err := tx.Lock(ctx, LockWrite, job.TenantID); err != nil {
			return err
		}
		job.Log = log
		return s.runImport(ctx, tx, job, rows)
	})
}

// FailImportJob ends job jobID, whose file could not be processed: nothing
// is written, the reason is the job's error, and complete runs in the same
// transaction.
func (s *Service) FailImportJob(ctx context.Context, jobID int64, reason string, log []string,
	complete func(*Tx) error) (*vintry.ImportJob, error) {
	return s.endWorkerJob(ctx, jobID, complete, func(tx *Tx, job *vintry.ImportJob) error {
		job.Status, job.Log = vintry.StatusFailed, append(append([]string(nil), log...), reason)
		out := importer.FailedOutcome(reason)
		job.Errors = out.Errors
		return s.finishWithFiles(ctx, tx, job, out, importer.SliceSource(nil))
	})
}

// endWorkerJob runs end on CSV import job jobID, its row locked, unless it
// has finished already (its completion committed, the queue's
// acknowledgement lost), and then complete, in one transaction.
func (s *Service) endWorkerJob(ctx context.Context, jobID int64, complete func(*Tx) error,
	end func(*Tx, *vintry.ImportJob) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := s.d.Update(ctx, func(tx *Tx) error {
		var err error
		if job, err = findJobForWorker(ctx, tx, jobID); err != nil {
			return err
		}
		if !job.Status.Terminal() {
			if err := end(tx, job); err != nil {
				return err
			}
		}
		return complete(tx)
	})
	return job, err
}

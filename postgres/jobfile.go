package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// filePartSize is the most bytes one job_files row holds: a file is stored
// as parts 0, 1, 2… of this size (the last one shorter), so no query binds
// or returns a whole large file. A variable so tests can shrink it.
var filePartSize = 1 << 20

// The statements that replace a job's file: its old parts go, its new parts
// come one row each.
const (
	deleteFileSQL = `DELETE FROM job_files WHERE job_id = $1 AND kind = $2`
	insertPartSQL = `INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES ($1, $2, $3, $4, $5, $6)`
)

// putFileFrom stores (or replaces) one of a job's files, read from r to its
// end a part at a time, in batches of a few MiB (see fileBatch).
func (tx *Tx) putFileFrom(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error {
	fb := &fileBatch{tx: tx, batch: &pgx.Batch{}}
	if err := fb.queueFrom(ctx, job, kind, r); err != nil {
		return err
	}
	return fb.send(ctx)
}

// putFile stores (or replaces) one of a job's files held in memory.
func (tx *Tx) putFile(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, content []byte) error {
	return tx.putFileFrom(ctx, job, kind, bytes.NewReader(content))
}

// queueFile queues the statements that store (or replace) one of a job's
// files held in memory, for a caller that sends them with others in one
// batch. A batch keeps its arguments until it is sent, so each part is a
// slice of content, never of a reused buffer.
func (tx *Tx) queueFile(batch *pgx.Batch, job *vintry.ImportJob, kind vintry.FileKind, content []byte) {
	batch.Queue(deleteFileSQL, job.ID, string(kind))
	for part, start := 0, 0; part == 0 || start < len(content); part, start = part+1, start+filePartSize {
		end := min(start+filePartSize, len(content))
		b := content[start:end:end]
		if b == nil {
			b = []byte{} // an empty file is one empty part, not NULL
		}
		batch.Queue(insertPartSQL, job.ID, job.TenantID, string(kind), part, b, tx.now)
	}
}

// CopyJobInput writes a job's upload to w, a part at a time, for the worker
// (which acts for the job's own tenant, not for a request's principal).
func (db *DB) CopyJobInput(ctx context.Context, jobID int64, w io.Writer) error {
	began := false
	return db.view(ctx, func(tx *Tx) error {
		if began { // view runs fn again after a failure a retry resolves
			return errors.New("postgres: the copy of a job's input cannot start again")
		}
		began = true
		rows, err := tx.Query(ctx, `SELECT content FROM job_files WHERE job_id = $1 AND kind = 'input' ORDER BY part`, jobID)
		if err != nil {
			return err
		}
		defer rows.Close()
		parts := 0
		for rows.Next() {
			var b pgtype.DriverBytes // valid until the next row
			if err := rows.Scan(&b); err != nil {
				return err
			}
			if _, err := w.Write(b); err != nil {
				return err
			}
			parts++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if parts == 0 {
			return fmt.Errorf("postgres: job %d has no input file", jobID)
		}
		return nil
	})
}

// fileBatch queues the parts of files read from readers into a batch, and
// sends the batch whenever the parts queued reach batchFileBytes: a large
// file costs a few MiB, while a small job's files still go in one round
// trip with the statements queued after them.
type fileBatch struct {
	tx     *Tx
	batch  *pgx.Batch
	queued int // bytes of parts in batch
}

// batchFileBytes is how many bytes of file parts a fileBatch holds before
// it sends them.
const batchFileBytes = 8 << 20

// queueFrom queues the statements that store (or replace) one of a job's
// files, read from r. A batch keeps its arguments until it is sent, so each
// part is copied out of WriteParts' reused buffer.
func (fb *fileBatch) queueFrom(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error {
	fb.batch.Queue(deleteFileSQL, job.ID, string(kind))
	return store.WriteParts(r, filePartSize, func(part int, b []byte) error {
		fb.batch.Queue(insertPartSQL, job.ID, job.TenantID, string(kind), part, append([]byte{}, b...), fb.tx.now)
		if fb.queued += len(b); fb.queued < batchFileBytes {
			return nil
		}
		return fb.send(ctx)
	})
}

// send sends the statements queued so far and starts a new batch.
func (fb *fileBatch) send(ctx context.Context) error {
	err := fb.tx.SendBatch(ctx, fb.batch).Close()
	fb.batch, fb.queued = &pgx.Batch{}, 0
	return err
}

// retentionBatch is how many jobs' files one retention transaction deletes.
const retentionBatch = 20

// DeleteExpiredJobFiles deletes the files of every job that finished
// (completed, completed with errors, failed or cancelled) before cutoff,
// in small transactions, and marks each job with the time. The jobs, their
// row errors and the inventory history stay. It returns how many jobs lost
// their files. Nodes running it at once skip each other's batches.
func (db *DB) DeleteExpiredJobFiles(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := db.update(ctx, func(tx *Tx) error {
			rows, err := tx.Query(ctx, `UPDATE import_jobs SET files_deleted_at = $1
				WHERE id IN (SELECT id FROM import_jobs WHERE files_deleted_at IS NULL AND completed_at < $2
					AND status IN ('completed', 'completed_with_errors', 'failed', 'cancelled')
					ORDER BY completed_at LIMIT $3 FOR UPDATE SKIP LOCKED)
				RETURNING id`, tx.now, cutoff.UTC(), retentionBatch)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if n = len(ids); err != nil || n == 0 {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM job_files WHERE job_id = ANY($1)`, ids)
			return err
		})
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

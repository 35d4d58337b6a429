package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// filePartSize is the most bytes one job_files row holds: a file is stored
// as parts 0, 1, 2… of this size (the last one shorter), so no query binds
// or returns a whole large file. A variable so tests can shrink it.
var filePartSize = 1 << 20

// putFileFrom stores (or replaces) one of a job's files, read from r to its
// end one part at a time into one reused buffer. modernc.org/sqlite copies
// a []byte argument into SQLite's memory when it binds it, so the buffer is
// free again once ExecContext returns.
func (tx *Tx) putFileFrom(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, r io.Reader) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM job_files WHERE job_id = ? AND kind = ?`, job.ID, string(kind)); err != nil {
		return err
	}
	created := formatTime(tx.now)
	return store.WriteParts(r, filePartSize, func(part int, b []byte) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, job.ID, job.TenantID, string(kind), part, b, created)
		return err
	})
}

// putFile stores (or replaces) one of a job's files held in memory.
func (tx *Tx) putFile(ctx context.Context, job *vintry.ImportJob, kind vintry.FileKind, content []byte) error {
	return tx.putFileFrom(ctx, job, kind, bytes.NewReader(content))
}

// CopyJobInput writes a job's upload to w, a part at a time, for the worker
// (which acts for the job's own tenant, not for a request's principal).
func (db *DB) CopyJobInput(ctx context.Context, jobID int64, w io.Writer) error {
	return db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT content FROM job_files WHERE job_id = ? AND kind = 'input' ORDER BY part`, jobID)
		if err != nil {
			return err
		}
		defer rows.Close()
		parts := 0
		for rows.Next() {
			var b sql.RawBytes // valid until the next row
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
			return fmt.Errorf("sqlite: job %d has no input file", jobID)
		}
		return nil
	})
}

// retentionBatch is how many jobs' files one retention transaction deletes,
// so the single writer is never held long.
const retentionBatch = 20

// DeleteExpiredJobFiles deletes the files of every job that finished
// (completed, completed with errors, failed or cancelled) before cutoff,
// in small transactions, and marks each job with the time. The jobs, their
// row errors and the inventory history stay. It returns how many jobs lost
// their files.
func (db *DB) DeleteExpiredJobFiles(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		var ids []any
		err := db.update(ctx, func(tx *Tx) error {
			ids = ids[:0]
			rows, err := tx.QueryContext(ctx, `SELECT id FROM import_jobs WHERE files_deleted_at IS NULL AND completed_at < ?
				AND status IN ('completed', 'completed_with_errors', 'failed', 'cancelled') ORDER BY completed_at LIMIT ?`,
				formatTime(cutoff), retentionBatch)
			if err != nil {
				return err
			}
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			in := `(` + marks(len(ids)) + `)`
			if _, err := tx.ExecContext(ctx, `DELETE FROM job_files WHERE job_id IN `+in, ids...); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `UPDATE import_jobs SET files_deleted_at = ? WHERE id IN `+in,
				append([]any{formatTime(tx.now)}, ids...)...)
			return err
		})
		total += len(ids)
		if err != nil || len(ids) == 0 {
			return total, err
		}
	}
}

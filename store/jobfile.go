package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vintry/vintry"
)

// partWriter cuts what is written to it into parts of size bytes and hands
// each to put, in order, numbered 0, 1, 2…: the last part may be shorter,
// and Close hands it over. A file that is empty is one empty part 0, so it
// exists; a length that is a multiple of size gives no empty last part.
// Its buffer grows to size as the file does, so a small file costs little,
// and is reused for every part: put must be done with b when it returns.
type partWriter struct {
	size int
	put  func(part int, b []byte) error
	buf  []byte
	part int // parts handed over
	err  error
}

func newPartWriter(size int, put func(part int, b []byte) error) *partWriter {
	if size <= 0 {
		panic("store: a part size must be positive")
	}
	return &partWriter{size: size, put: put}
}

func (w *partWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 && w.err == nil {
		if len(w.buf) == w.size {
			w.flush()
			continue
		}
		take := min(len(p), w.size-len(w.buf))
		w.buf = append(w.buf, p[:take]...)
		p, n = p[take:], n+take
	}
	return n, w.err
}

func (w *partWriter) flush() {
	if w.err == nil {
		w.err = w.put(w.part, w.buf)
		w.part, w.buf = w.part+1, w.buf[:0]
	}
}

// Close hands over the last part: the one that is not full, or an empty
// part 0 for an empty file.
func (w *partWriter) Close() error {
	if len(w.buf) > 0 || w.part == 0 {
		if w.buf == nil {
			w.buf = []byte{} // an empty part, not NULL
		}
		w.flush()
	}
	return w.err
}

// PutFile stores (or replaces) one of job's files, as render writes it, in
// parts of FilePartSize: no more than a part is held at once. The parts are
// queued (Conn.Queue), so a small job's files go with the statements after
// them.
func (s *Service) PutFile(ctx context.Context, tx *Tx, job *vintry.ImportJob, kind vintry.FileKind, render func(io.Writer) error) error {
	if err := tx.Queue(ctx, `DELETE FROM job_files WHERE job_id = ? AND kind = ?`, job.ID, string(kind)); err != nil {
		return err
	}
	w := newPartWriter(s.FilePartSize, func(part int, b []byte) error {
		return tx.Queue(ctx, `INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			job.ID, job.TenantID, string(kind), part, b, tx.Now)
	})
	if err := render(w); err != nil {
		return err
	}
	return w.Close()
}

// putBytes stores (or replaces) one of job's files held in memory.
func (s *Service) putBytes(ctx context.Context, tx *Tx, job *vintry.ImportJob, kind vintry.FileKind, content []byte) error {
	return s.PutFile(ctx, tx, job, kind, func(w io.Writer) error {
		_, err := w.Write(content)
		return err
	})
}

// copyParts writes a stored file of size bytes to w: part(0), part(1)…, in
// order, until size bytes are written, holding one part at a time. part
// returns the bytes of one part, or an error (ENOTFOUND when the part is
// gone). The parts must add up to size exactly.
func copyParts(w io.Writer, size int64, part func(n int) ([]byte, error)) error {
	var written int64
	for n := 0; written < size; n++ {
		b, err := part(n)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("store: part %d of a file of %d bytes is empty", n, size)
		}
		if int64(len(b)) > size-written {
			return fmt.Errorf("store: the parts of a file of %d bytes hold more", size)
		}
		m, err := w.Write(b)
		written += int64(m)
		if err != nil {
			return err
		}
	}
	return nil
}

// CopyJobInput writes a job's upload to w, a part at a time, for the worker
// (which acts for the job's own tenant, not for a request's principal).
func (s *Service) CopyJobInput(ctx context.Context, jobID int64, w io.Writer) error {
	began := false
	return s.d.View(ctx, func(tx *Tx) error {
		if began { // View runs fn again after a failure a retry resolves
			return errors.New("store: the copy of a job's input cannot start again")
		}
		began = true
		rows, err := tx.Query(ctx, `SELECT content FROM job_files WHERE job_id = ? AND kind = 'input' ORDER BY part`, jobID)
		if err != nil {
			return err
		}
		defer rows.Close()
		parts := 0
		for rows.Next() {
			var b RawBytes // valid until the next row
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
			return fmt.Errorf("store: job %d has no input file", jobID)
		}
		return nil
	})
}

// retentionBatch is how many jobs' files one retention transaction deletes,
// so no writer is held long.
const retentionBatch = 20

// DeleteExpiredJobFiles deletes the files of every job that finished
// (completed, completed with errors, failed or cancelled) before cutoff,
// in small transactions, and marks each job with the time. The jobs, their
// row errors and the inventory history stay. It returns how many jobs lost
// their files. Nodes running it at once skip each other's batches.
func (s *Service) DeleteExpiredJobFiles(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		var ids IDs
		err := s.d.Update(ctx, func(tx *Tx) error {
			var err error
			ids, err = queryIDs(ctx, tx, `UPDATE import_jobs SET files_deleted_at = ?
				WHERE id IN (SELECT id FROM import_jobs WHERE files_deleted_at IS NULL AND completed_at < ?
					AND status IN ('completed', 'completed_with_errors', 'failed', 'cancelled')
					ORDER BY completed_at LIMIT ?`+tx.Dialect.SkipLocked()+`)
				RETURNING id`, tx.Now, cutoff.UTC(), retentionBatch)
			if err != nil || len(ids) == 0 {
				return err
			}
			_, err = tx.Exec(ctx, `DELETE FROM job_files WHERE `+tx.Dialect.In("job_id"), ids)
			return err
		})
		total += len(ids)
		if err != nil || len(ids) == 0 {
			return total, err
		}
	}
}

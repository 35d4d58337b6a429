package store

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/vintry/vintry"
)

// FindJobFile implements vintry.JobQueue. length() of a BLOB or bytea reads
// its stored size, not its bytes.
func (s *Service) FindJobFile(ctx context.Context, jobID int64, kind vintry.FileKind) (*vintry.JobFile, error) {
	f := &vintry.JobFile{JobID: jobID, Kind: kind, Name: vintry.JobFileName(jobID, kind)}
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var parts int
		err = tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(length(content)), 0) FROM job_files
			WHERE job_id = ? AND tenant_id = ? AND kind = ?`, jobID, tenantID, string(kind)).Scan(&parts, &f.Size)
		if err == nil && parts == 0 {
			var deleted *time.Time
			if err := tx.QueryRow(ctx, `SELECT files_deleted_at FROM import_jobs WHERE id = ? AND tenant_id = ?`,
				jobID, tenantID).Scan(&deleted); err == nil && deleted != nil {
				return vintry.FilesDeletedError(*deleted)
			}
			return vintry.Errorf(vintry.ENOTFOUND, "File not found.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// CopyJobFile implements vintry.JobQueue. Each part is read in a short
// read transaction of its own and written to w after it ends, so a slow
// client holds no connection and no snapshot. A job's files are written
// once, in the transaction that accepts or finishes the job, and deleted
// only whole, at the end of their retention, so the parts do not change
// between two reads; were one missing (deleted meanwhile), the copy would
// end with ENOTFOUND.
func (s *Service) CopyJobFile(ctx context.Context, f *vintry.JobFile, w io.Writer) error {
	return copyParts(w, f.Size, func(part int) ([]byte, error) {
		var b []byte
		err := s.d.View(ctx, func(tx *Tx) error {
			tenantID, err := tx.TenantID()
			if err != nil {
				return err
			}
			err = tx.QueryRow(ctx, `SELECT content FROM job_files WHERE job_id = ? AND tenant_id = ? AND kind = ? AND part = ?`,
				f.JobID, tenantID, string(f.Kind), part).Scan(&b)
			if errors.Is(err, ErrNoRows) {
				return vintry.Errorf(vintry.ENOTFOUND, "File not found.")
			}
			return err
		})
		return b, err
	})
}

// StoredFileBytes implements vintry.StorageUsage.
func (s *Service) StoredFileBytes(ctx context.Context) (int64, error) {
	var n int64
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT
			(SELECT coalesce(sum(length(content)), 0) FROM job_files WHERE tenant_id = ?1) +
			(SELECT coalesce(sum(length(content)), 0) FROM upload_drafts WHERE tenant_id = ?1)`, tenantID).Scan(&n)
	})
	return n, err
}

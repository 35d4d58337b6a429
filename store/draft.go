package store

import (
	"context"
	"errors"

	"github.com/vintry/vintry"
)

// CreateDraft implements vintry.DraftService. Drafts older than
// vintry.MaxDraftAge are dropped on the way.
func (s *Service) CreateDraft(ctx context.Context, fileName string, content []byte) (int64, error) {
	var id int64
	err := s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM upload_drafts WHERE tenant_id = ? AND created_at < ?`,
			tenantID, tx.Now.Add(-vintry.MaxDraftAge)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO upload_drafts (tenant_id, user_id, file_name, content, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, tenantID, tx.Principal.UserID, fileName, content, tx.Now).Scan(&id)
	})
	return id, err
}

// FindDraft implements vintry.DraftService.
func (s *Service) FindDraft(ctx context.Context, id int64) (*vintry.Draft, error) {
	d := &vintry.Draft{ID: id}
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT file_name, content FROM upload_drafts WHERE id = ? AND tenant_id = ? AND user_id = ?`,
			id, tenantID, tx.Principal.UserID).Scan(&d.FileName, &d.Content)
		if errors.Is(err, ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, "The uploaded file is no longer available; upload it again.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteDraft implements vintry.DraftService.
func (s *Service) DeleteDraft(ctx context.Context, id int64) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM upload_drafts WHERE id = ? AND tenant_id = ? AND user_id = ?`,
			id, tenantID, tx.Principal.UserID)
		return err
	})
}

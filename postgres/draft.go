package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
)

// CreateDraft implements vintry.DraftService.
func (db *DB) CreateDraft(ctx context.Context, fileName string, content []byte) (int64, error) {
	var id int64
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM upload_drafts WHERE tenant_id = $1 AND created_at < $2`,
			tenantID, tx.now.Add(-vintry.MaxDraftAge)); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `INSERT INTO upload_drafts (tenant_id, user_id, file_name, content, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, tenantID, tx.principal.UserID, storableText(fileName), content, tx.now).Scan(&id)
	})
	return id, err
}

// FindDraft implements vintry.DraftService.
func (db *DB) FindDraft(ctx context.Context, id int64) (*vintry.Draft, error) {
	d := &vintry.Draft{ID: id}
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT file_name, content FROM upload_drafts WHERE id = $1 AND tenant_id = $2 AND user_id = $3`,
			id, tenantID, tx.principal.UserID).Scan(&d.FileName, &d.Content)
		if errors.Is(err, pgx.ErrNoRows) {
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
func (db *DB) DeleteDraft(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM upload_drafts WHERE id = $1 AND tenant_id = $2 AND user_id = $3`,
			id, tenantID, tx.principal.UserID)
		return err
	})
}

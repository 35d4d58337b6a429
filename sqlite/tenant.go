package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/vintry/vintry"
)

// CreateTenant implements vintry.TenantService.
func (db *DB) CreateTenant(ctx context.Context, slug, name string) (*vintry.Tenant, error) {
	if err := vintry.ValidateSlug(slug); err != nil {
		return nil, err
	}
	if name == "" {
		name = slug
	}
	t := &vintry.Tenant{Slug: slug, Name: name}
	err := db.update(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO tenants (slug, name, created_at) VALUES (?, ?, ?)`,
			slug, name, formatTime(tx.now))
		if vintry.ErrorCode(mapError(err)) == vintry.ECONFLICT {
			return vintry.Errorf(vintry.ECONFLICT, "Tenant '%s' already exists.", slug)
		} else if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// FindTenantBySlug implements vintry.TenantService.
func (db *DB) FindTenantBySlug(ctx context.Context, slug string) (*vintry.Tenant, error) {
	t := &vintry.Tenant{}
	var created string
	err := db.read.QueryRowContext(ctx, `SELECT id, slug, name, created_at FROM tenants WHERE slug = ?`, slug).
		Scan(&t.ID, &t.Slug, &t.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, vintry.Errorf(vintry.ENOTFOUND, "Tenant '%s' does not exist.", slug)
	} else if err != nil {
		return nil, mapError(err)
	}
	t.CreatedAt = parseTime(created)
	return t, nil
}

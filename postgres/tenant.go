package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
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
		err := tx.QueryRow(ctx, `INSERT INTO tenants (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
			slug, storableText(name), tx.now).Scan(&t.ID)
		if vintry.ErrorCode(mapError(err)) == vintry.ECONFLICT {
			return vintry.Errorf(vintry.ECONFLICT, "Tenant '%s' already exists.", slug)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// FindTenantBySlug implements vintry.TenantService.
func (db *DB) FindTenantBySlug(ctx context.Context, slug string) (*vintry.Tenant, error) {
	notFound := vintry.Errorf(vintry.ENOTFOUND, "Tenant '%s' does not exist.", slug)
	if !validText(slug) {
		return nil, notFound
	}
	t := &vintry.Tenant{}
	err := db.pool.QueryRow(ctx, `SELECT id, slug, name, created_at FROM tenants WHERE slug = $1`, slug).
		Scan(&t.ID, &t.Slug, &t.Name, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, mapError(err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, nil
}

package store

import (
	"context"
	"errors"

	"github.com/vintry/vintry"
)

// CreateTenant implements vintry.TenantService.
func (s *Service) CreateTenant(ctx context.Context, slug, name string) (*vintry.Tenant, error) {
	if err := vintry.ValidateSlug(slug); err != nil {
		return nil, err
	}
	if name == "" {
		name = slug
	}
	t := &vintry.Tenant{Slug: slug, Name: name}
	err := s.d.Update(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.Now
		err := tx.QueryRow(ctx, `INSERT INTO tenants (slug, name, created_at) VALUES (?, ?, ?) RETURNING id`,
			slug, name, tx.Now).Scan(&t.ID)
		if vintry.ErrorCode(tx.MapError(err)) == vintry.ECONFLICT {
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
func (s *Service) FindTenantBySlug(ctx context.Context, slug string) (*vintry.Tenant, error) {
	t := &vintry.Tenant{}
	err := s.d.View(ctx, func(tx *Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, slug, name, created_at FROM tenants WHERE slug = ?`, slug).
			Scan(&t.ID, &t.Slug, &t.Name, &t.CreatedAt)
		if errors.Is(err, ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, "Tenant '%s' does not exist.", slug)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

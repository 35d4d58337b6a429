package store

import (
	"context"

	"github.com/vintry/vintry"
)

// CreateUser implements vintry.UserService.
func (s *Service) CreateUser(ctx context.Context, tenantSlug, email, password string, role vintry.Role) (*vintry.User, error) {
	if err := vintry.ValidateNewUser(email, password, role); err != nil {
		return nil, err
	}
	tenant, err := s.FindTenantBySlug(ctx, tenantSlug)
	if err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(password, s.PasswordParams)
	if err != nil {
		return nil, err
	}
	u := &vintry.User{TenantID: tenant.ID, Email: email, Role: role}
	err = s.d.Update(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.Now
		err := tx.QueryRow(ctx, `INSERT INTO users (tenant_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)
			RETURNING id`, tenant.ID, email, hash, string(role), tx.Now).Scan(&u.ID)
		if vintry.ErrorCode(tx.MapError(err)) == vintry.ECONFLICT {
			return vintry.Errorf(vintry.ECONFLICT, "User '%s' already exists in tenant '%s'.", email, tenantSlug)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

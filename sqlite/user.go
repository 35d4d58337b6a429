package sqlite

import (
	"context"

	"github.com/vintry/vintry"
)

// CreateUser implements vintry.UserService.
func (db *DB) CreateUser(ctx context.Context, tenantSlug, email, password string, role vintry.Role) (*vintry.User, error) {
	if err := vintry.ValidateNewUser(email, password, role); err != nil {
		return nil, err
	}
	tenant, err := db.FindTenantBySlug(ctx, tenantSlug)
	if err != nil {
		return nil, err
	}
	hash, err := db.passwords.Hash(password, db.PasswordParams)
	if err != nil {
		return nil, err
	}
	u := &vintry.User{TenantID: tenant.ID, Email: email, Role: role}
	err = db.update(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO users (tenant_id, email, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)`,
			tenant.ID, email, hash, string(role), formatTime(tx.now))
		if vintry.ErrorCode(mapError(err)) == vintry.ECONFLICT {
			return vintry.Errorf(vintry.ECONFLICT, "User '%s' already exists in tenant '%s'.", email, tenantSlug)
		} else if err != nil {
			return err
		}
		u.ID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

package postgres

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
	hash, err := db.hashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &vintry.User{TenantID: tenant.ID, Email: email, Role: role}
	err = db.update(ctx, func(tx *Tx) error {
		u.CreatedAt = tx.now
		err := tx.QueryRow(ctx, `
			INSERT INTO users (tenant_id, email, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id`, tenant.ID, email, hash, string(role), tx.now).Scan(&u.ID)
		if vintry.ErrorCode(mapError(err)) == vintry.ECONFLICT {
			return vintry.Errorf(vintry.ECONFLICT, "User '%s' already exists in tenant '%s'.", email, tenantSlug)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// hashPassword hashes with argon2id, at most NumCPU at a time: each hash
// takes 64 MiB, so unbounded concurrent sign-ins could exhaust memory.
func (db *DB) hashPassword(password string) (string, error) {
	db.hashing <- struct{}{}
	defer func() { <-db.hashing }()
	return vintry.HashPassword(password, db.PasswordParams)
}

func (db *DB) verifyPassword(password, hash string) bool {
	db.hashing <- struct{}{}
	defer func() { <-db.hashing }()
	return vintry.VerifyPassword(password, hash)
}

package postgres

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
)

type tokenOwner struct {
	userID, tenantID int64
	hash             string
}

// CreateToken implements vintry.AuthService.
func (db *DB) CreateToken(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error) {
	return db.signIn(ctx, tenantSlug, email, password, vintry.TokenAPI, ttl)
}

// CreateSession implements vintry.AuthService.
func (db *DB) CreateSession(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error) {
	return db.signIn(ctx, tenantSlug, email, password, vintry.TokenSession, ttl)
}

// signIn checks a password and issues a token of the given kind.
func (db *DB) signIn(ctx context.Context, tenantSlug, email, password, kind string, ttl time.Duration) (string, error) {
	owner, err := db.findTokenOwner(ctx, tenantSlug, email)
	if err != nil {
		return "", err
	}
	if err := db.passwords.CheckSignIn(password, owner.hash, owner.userID != 0, db.PasswordParams); err != nil {
		return "", err
	}
	return db.insertToken(ctx, owner, kind, ttl)
}

// IssueToken implements vintry.AuthService.
func (db *DB) IssueToken(ctx context.Context, tenantSlug, email string, ttl time.Duration) (string, error) {
	owner, err := db.findTokenOwner(ctx, tenantSlug, email)
	if err != nil {
		return "", err
	}
	if owner.userID == 0 {
		return "", vintry.Errorf(vintry.ENOTFOUND, "No user '%s' in tenant '%s'.", email, tenantSlug)
	}
	return db.insertToken(ctx, owner, vintry.TokenAPI, ttl)
}

// findTokenOwner returns the user with email in the tenant, or a zero owner.
func (db *DB) findTokenOwner(ctx context.Context, tenantSlug, email string) (tokenOwner, error) {
	var o tokenOwner
	if !validText(tenantSlug) || !validText(email) {
		return o, nil
	}
	err := db.pool.QueryRow(ctx, `
		SELECT u.id, u.tenant_id, u.password_hash
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE t.slug = $1 AND u.email = $2`, tenantSlug, email).Scan(&o.userID, &o.tenantID, &o.hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return tokenOwner{}, nil
	}
	return o, mapError(err)
}

func (db *DB) insertToken(ctx context.Context, o tokenOwner, kind string, ttl time.Duration) (string, error) {
	secret, err := vintry.NewTokenSecret()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(secret))
	var id int64
	err = db.update(ctx, func(tx *Tx) error {
		var expires *time.Time
		if ttl > 0 {
			t := tx.now.Add(ttl)
			expires = &t
		}
		return tx.QueryRow(ctx, `
			INSERT INTO tokens (tenant_id, user_id, kind, secret_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, o.tenantID, o.userID, kind, sum[:], tx.now, expires).Scan(&id)
	})
	if err != nil {
		return "", err
	}
	return vintry.FormatToken(id, secret), nil
}

// Authenticate implements vintry.AuthService.
func (db *DB) Authenticate(ctx context.Context, tenantSlug, token string) (vintry.Principal, error) {
	return db.authenticate(ctx, tenantSlug, token, vintry.TokenAPI)
}

// AuthenticateSession implements vintry.AuthService.
func (db *DB) AuthenticateSession(ctx context.Context, tenantSlug, session string) (vintry.Principal, error) {
	return db.authenticate(ctx, tenantSlug, session, vintry.TokenSession)
}

func (db *DB) authenticate(ctx context.Context, tenantSlug, token, kind string) (vintry.Principal, error) {
	unauthenticated := vintry.Errorf(vintry.EUNAUTHORIZED, vintry.MsgUnauthenticated)
	id, secret, ok := vintry.ParseToken(token)
	if !ok {
		return vintry.Principal{}, unauthenticated
	}
	var (
		p                vintry.Principal
		stored           []byte
		expires, revoked *time.Time
		role, storedKind string
	)
	err := db.readPool.QueryRow(ctx, `
		SELECT k.tenant_id, t.slug, k.user_id, u.role, k.kind, k.secret_hash, k.expires_at, k.revoked_at
		FROM tokens k JOIN tenants t ON t.id = k.tenant_id JOIN users u ON u.id = k.user_id
		WHERE k.id = $1`, id).Scan(&p.TenantID, &p.TenantSlug, &p.UserID, &role, &storedKind, &stored, &expires, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return vintry.Principal{}, unauthenticated
	} else if err != nil {
		return vintry.Principal{}, mapError(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 || revoked != nil || storedKind != kind ||
		(expires != nil && !db.Now().UTC().Before(*expires)) {
		return vintry.Principal{}, unauthenticated
	}
	if p.TenantSlug != tenantSlug {
		return vintry.Principal{}, vintry.Errorf(vintry.EFORBIDDEN, vintry.MsgUnauthorized)
	}
	p.Role, p.TokenID = vintry.Role(role), id
	return p, nil
}

// RevokeToken implements vintry.AuthService.
func (db *DB) RevokeToken(ctx context.Context) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND revoked_at IS NULL`,
			tx.now, tx.principal.TokenID, tenantID)
		return err
	})
}

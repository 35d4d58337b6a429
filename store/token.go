package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/vintry/vintry"
)

type tokenOwner struct {
	userID, tenantID int64
	hash             string
}

// CreateToken implements vintry.AuthService.
func (s *Service) CreateToken(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error) {
	return s.signIn(ctx, tenantSlug, email, password, vintry.TokenAPI, ttl)
}

// CreateSession implements vintry.AuthService.
func (s *Service) CreateSession(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error) {
	return s.signIn(ctx, tenantSlug, email, password, vintry.TokenSession, ttl)
}

// signIn checks a password and issues a token of the given kind.
func (s *Service) signIn(ctx context.Context, tenantSlug, email, password, kind string, ttl time.Duration) (string, error) {
	owner, err := s.findTokenOwner(ctx, tenantSlug, email)
	if err != nil {
		return "", err
	}
	if err := s.passwords.CheckSignIn(password, owner.hash, owner.userID != 0, s.PasswordParams); err != nil {
		return "", err
	}
	return s.insertToken(ctx, owner, kind, ttl)
}

// IssueToken implements vintry.AuthService.
func (s *Service) IssueToken(ctx context.Context, tenantSlug, email string, ttl time.Duration) (string, error) {
	owner, err := s.findTokenOwner(ctx, tenantSlug, email)
	if err != nil {
		return "", err
	}
	if owner.userID == 0 {
		return "", vintry.Errorf(vintry.ENOTFOUND, "No user '%s' in tenant '%s'.", email, tenantSlug)
	}
	return s.insertToken(ctx, owner, vintry.TokenAPI, ttl)
}

// findTokenOwner returns the user with email in the tenant, or a zero owner.
func (s *Service) findTokenOwner(ctx context.Context, tenantSlug, email string) (tokenOwner, error) {
	var o tokenOwner
	err := s.d.Reader().QueryRow(ctx, `
		SELECT u.id, u.tenant_id, u.password_hash
		FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE t.slug = ? AND u.email = ?`, tenantSlug, email).Scan(&o.userID, &o.tenantID, &o.hash)
	if errors.Is(err, ErrNoRows) {
		return tokenOwner{}, nil
	}
	return o, s.d.MapError(err)
}

func (s *Service) insertToken(ctx context.Context, o tokenOwner, kind string, ttl time.Duration) (string, error) {
	secret, err := vintry.NewTokenSecret()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(secret))
	var id int64
	err = s.d.Update(ctx, func(tx *Tx) error {
		var expires *time.Time
		if ttl > 0 {
			t := tx.Now.Add(ttl)
			expires = &t
		}
		return tx.QueryRow(ctx, `
			INSERT INTO tokens (tenant_id, user_id, kind, secret_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, o.tenantID, o.userID, kind, sum[:], tx.Now, expires).Scan(&id)
	})
	if err != nil {
		return "", err
	}
	return vintry.FormatToken(id, secret), nil
}

// Authenticate implements vintry.AuthService.
func (s *Service) Authenticate(ctx context.Context, tenantSlug, token string) (vintry.Principal, error) {
	return s.authenticate(ctx, tenantSlug, token, vintry.TokenAPI)
}

// AuthenticateSession implements vintry.AuthService.
func (s *Service) AuthenticateSession(ctx context.Context, tenantSlug, session string) (vintry.Principal, error) {
	return s.authenticate(ctx, tenantSlug, session, vintry.TokenSession)
}

func (s *Service) authenticate(ctx context.Context, tenantSlug, token, kind string) (vintry.Principal, error) {
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
	err := s.d.Reader().QueryRow(ctx, `
		SELECT k.tenant_id, t.slug, k.user_id, u.role, k.kind, k.secret_hash, k.expires_at, k.revoked_at
		FROM tokens k JOIN tenants t ON t.id = k.tenant_id JOIN users u ON u.id = k.user_id
		WHERE k.id = ?`, id).Scan(&p.TenantID, &p.TenantSlug, &p.UserID, &role, &storedKind, &stored, &expires, &revoked)
	if errors.Is(err, ErrNoRows) {
		return vintry.Principal{}, unauthenticated
	} else if err != nil {
		return vintry.Principal{}, s.d.MapError(err)
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], stored) != 1 || revoked != nil || storedKind != kind ||
		(expires != nil && !s.d.Now().Before(*expires)) {
		return vintry.Principal{}, unauthenticated
	}
	if p.TenantSlug != tenantSlug {
		return vintry.Principal{}, vintry.Errorf(vintry.EFORBIDDEN, vintry.MsgUnauthorized)
	}
	p.Role, p.TokenID = vintry.Role(role), id
	return p, nil
}

// RevokeToken implements vintry.AuthService.
func (s *Service) RevokeToken(ctx context.Context) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL`,
			tx.Now, tx.Principal.TokenID, tenantID)
		return err
	})
}

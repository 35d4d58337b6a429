package vintry

import (
	"context"
	"crypto/rand"
	"strconv"
	"strings"
	"time"
)

// Principal is the authenticated caller of a request: a user of one tenant,
// acting through a token (API) or a session (UI).
type Principal struct {
	TenantID   int64
	TenantSlug string
	UserID     int64
	Role       Role
	TokenID    int64 // 0 for a UI session
}

// IsAdmin reports whether the principal may write master data.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

type principalKey struct{}

// NewContextWithPrincipal returns a context carrying p. Storage adapters scope
// every tenant query by the principal they find here.
func NewContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal of ctx, if any.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Authentication messages, exactly as the API documents them.
const (
	MsgInvalidCredentials = "Invalid credentials."
	MsgUnauthenticated    = "Unauthenticated."
	MsgUnauthorized       = "This action is unauthorized."
)

// AuthService issues, checks and revokes API tokens.
type AuthService interface {
	// CreateToken checks email and password against the tenant's users and
	// returns a new plain-text token "<id>|<secret>". Any mismatch, including
	// an unknown tenant or email, is EUNAUTHORIZED "Invalid credentials." and
	// costs the same time as a wrong password.
	CreateToken(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error)
	// IssueToken returns a new token for a user without a password check (admin CLI).
	IssueToken(ctx context.Context, tenantSlug, email string, ttl time.Duration) (string, error)
	// Authenticate checks a bearer token for a request on the tenant path
	// tenantSlug. A missing, malformed, unknown, revoked or expired token is
	// EUNAUTHORIZED; a valid token of another tenant (or for a slug that does
	// not exist) is EFORBIDDEN.
	Authenticate(ctx context.Context, tenantSlug, token string) (Principal, error)
	// RevokeToken revokes the token (or UI session) of the principal in ctx.
	RevokeToken(ctx context.Context) error
	// CreateSession checks credentials as CreateToken does and returns a new
	// web UI session (a token of kind session) that expires after ttl.
	CreateSession(ctx context.Context, tenantSlug, email, password string, ttl time.Duration) (string, error)
	// AuthenticateSession checks a session cookie value for the tenant path,
	// with Authenticate's rules. API tokens are not sessions, nor vice versa.
	AuthenticateSession(ctx context.Context, tenantSlug, session string) (Principal, error)
}

// Token kinds: an API token, or a web UI session.
const (
	TokenAPI     = "api"
	TokenSession = "session"
)

// tokenSecretLength is the length of a token's secret part.
const tokenSecretLength = 40

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// NewTokenSecret returns 40 random alphanumeric characters from crypto/rand.
func NewTokenSecret() (string, error) {
	out := make([]byte, 0, tokenSecretLength)
	buf := make([]byte, 64)
	for len(out) < tokenSecretLength {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// 248 = 4*62: rejecting the rest keeps every character equally likely.
			if b < 248 && len(out) < tokenSecretLength {
				out = append(out, tokenAlphabet[int(b)%len(tokenAlphabet)])
			}
		}
	}
	return string(out), nil
}

// FormatToken returns the plain-text token "<id>|<secret>".
func FormatToken(id int64, secret string) string { return strconv.FormatInt(id, 10) + "|" + secret }

// ParseToken splits a plain-text token into its id and secret.
func ParseToken(token string) (id int64, secret string, ok bool) {
	idText, secret, found := strings.Cut(token, "|")
	if !found || len(secret) != tokenSecretLength || len(idText) > 19 {
		return 0, "", false
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	// Only the form FormatToken writes is a token: no sign, no leading zeros.
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != idText {
		return 0, "", false
	}
	return id, secret, true
}

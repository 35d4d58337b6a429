package vintry

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id cost parameters.
type PasswordParams struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultPasswordParams are the production costs (m=64 MiB, t=1, p=2).
var DefaultPasswordParams = PasswordParams{MemoryKiB: 64 * 1024, Time: 1, Threads: 2}

// HashPassword returns an argon2id hash of password in PHC string format.
// Time and Threads must be at least 1.
func HashPassword(password string, p PasswordParams) (string, error) {
	if p.Time < 1 || p.Threads < 1 {
		return "", fmt.Errorf("argon2id parameters need time and threads of at least 1, got %+v", p)
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches a hash made by
// HashPassword. It costs the same whether or not it matches.
func VerifyPassword(password, hash string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return false
	}
	// argon2 panics on zero rounds or threads; a damaged hash must not.
	if p.Time < 1 || p.Threads < 1 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPassword is hashed once to make the hash an unknown user's sign-in is
// checked against; that check never signs anyone in, whatever it matches.
const dummyPassword = "not a password of anyone"

// Passwords hashes and checks passwords for a storage adapter, at most a
// fixed number at a time: each argon2id hash takes its memory cost (64 MiB
// by default), so unbounded concurrent sign-ins could exhaust memory. Make
// it with NewPasswords; it is safe for concurrent use.
type Passwords struct {
	slots chan struct{} // one token per hash or check in progress

	dummyOnce sync.Once
	dummy     string // hash checked for unknown users, for equal timing
	dummyErr  error
}

// NewPasswords returns Passwords that run at most n hashes or checks at a
// time (at least one).
func NewPasswords(n int) *Passwords {
	return &Passwords{slots: make(chan struct{}, max(1, n))}
}

// Hash returns an argon2id hash of password made with params (see
// HashPassword), waiting for a free slot.
func (p *Passwords) Hash(password string, params PasswordParams) (string, error) {
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	return HashPassword(password, params)
}

// Verify reports whether password matches hash (see VerifyPassword),
// waiting for a free slot.
func (p *Passwords) Verify(password, hash string) bool {
	p.slots <- struct{}{}
	defer func() { <-p.slots }()
	return VerifyPassword(password, hash)
}

// CheckSignIn checks the password of a sign-in against hash, the stored hash
// of the user signing in; found is false when the tenant or email is
// unknown. An unknown user's password is still checked, against a hash made
// once with params, so the answer takes as long as for a wrong password.
// Any mismatch is EUNAUTHORIZED MsgInvalidCredentials; other errors are
// failures to make that hash.
func (p *Passwords) CheckSignIn(password, hash string, found bool, params PasswordParams) error {
	if !found {
		var err error
		if hash, err = p.dummyHash(params); err != nil {
			return err
		}
	}
	if !p.Verify(password, hash) || !found {
		return Errorf(EUNAUTHORIZED, MsgInvalidCredentials)
	}
	return nil
}

// dummyHash returns a hash that matches no sign-in's password, made once.
func (p *Passwords) dummyHash(params PasswordParams) (string, error) {
	p.dummyOnce.Do(func() {
		p.dummy, p.dummyErr = p.Hash(dummyPassword, params)
	})
	return p.dummy, p.dummyErr
}

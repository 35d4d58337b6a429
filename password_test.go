package vintry_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/vintry/vintry"
)

// cheap are argon2id costs small enough for many hashes in a test.
var cheap = vintry.PasswordParams{MemoryKiB: 64, Time: 1, Threads: 1}

// TestHashPasswordDefaultParams makes the one production-cost hash of the
// suite (64 MiB) and checks it records those costs.
func TestHashPasswordDefaultParams(t *testing.T) {
	hash, err := vintry.HashPassword("correct horse battery staple", vintry.DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash = %q, want argon2id PHC string with m=65536,t=1,p=2", hash)
	}
	if !vintry.VerifyPassword("correct horse battery staple", hash) {
		t.Error("VerifyPassword(right password) = false")
	}
	if vintry.VerifyPassword("correct horse battery stapl", hash) {
		t.Error("VerifyPassword(wrong password) = true")
	}
}

func TestVerifyPassword(t *testing.T) {
	passwords := []string{"password", "pässwörd ünïcode", strings.Repeat("x", 1024), "with\ttab and spaces "}
	for _, pw := range passwords {
		hash, err := vintry.HashPassword(pw, cheap)
		if err != nil {
			t.Fatal(err)
		}
		if !vintry.VerifyPassword(pw, hash) {
			t.Errorf("VerifyPassword(%.20q) = false for its own hash", pw)
		}
		for _, wrong := range []string{"", pw + "\r", pw + "\n", strings.ToUpper(pw), pw[:len(pw)-1], "password2"} {
			if wrong != pw && vintry.VerifyPassword(wrong, hash) {
				t.Errorf("VerifyPassword(%.20q) = true for the hash of %.20q", wrong, pw)
			}
		}
	}
}

func TestHashPasswordSalts(t *testing.T) {
	a, err1 := vintry.HashPassword("same password", cheap)
	b, err2 := vintry.HashPassword("same password", cheap)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): no random salt", a)
	}
	// Above 72 bytes (where bcrypt truncates) every byte still counts.
	long := strings.Repeat("a", 100)
	h, err := vintry.HashPassword(long, cheap)
	if err != nil {
		t.Fatal(err)
	}
	if vintry.VerifyPassword(long[:99]+"b", h) {
		t.Error("a password differing only in byte 100 verifies")
	}
}

func TestHashPasswordRejectsZeroCosts(t *testing.T) {
	for _, p := range []vintry.PasswordParams{{}, {MemoryKiB: 64, Threads: 1}, {MemoryKiB: 64, Time: 1}} {
		if hash, err := vintry.HashPassword("password", p); err == nil {
			t.Errorf("HashPassword with %+v = %q, want an error (argon2 cannot run it)", p, hash)
		}
	}
}

// TestVerifyPasswordMalformed checks that no stored hash, however broken,
// makes VerifyPassword panic or accept a password.
func TestVerifyPasswordMalformed(t *testing.T) {
	good, err := vintry.HashPassword("password", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := map[string]string{
		"empty":               "",
		"dollar":              "$",
		"only algorithm":      "$argon2id$",
		"bcrypt":              "$2a$10$abcdefghijklmnopqrstuuFZ6U7Eu4n1mQfQ0QmM9C6CUN3hGXnG2",
		"argon2i":             with(1, "argon2i"),
		"too many parts":      good + "$extra",
		"too few parts":       strings.Join(parts[:5], "$"),
		"params text":         with(3, "m=lots,t=1,p=1"),
		"params missing":      with(3, ""),
		"params reordered":    with(3, "t=1,m=64,p=1"),
		"zero time":           with(3, "m=64,t=0,p=1"),
		"zero threads":        with(3, "m=64,t=1,p=0"),
		"threads overflow":    with(3, "m=64,t=1,p=300"),
		"negative memory":     with(3, "m=-1,t=1,p=1"),
		"salt not base64":     with(4, "!!!!"),
		"salt padded base64":  with(4, parts[4]+"=="),
		"key not base64":      with(5, "!!!!"),
		"key empty":           with(5, ""),
		"key truncated":       with(5, parts[5][:10]),
		"other version":       with(2, "v=16"),
		"version text":        with(2, "v=x"),
		"plain password text": "password",
	}
	for name, hash := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("VerifyPassword(%q) panicked: %v", hash, r)
				}
			}()
			if vintry.VerifyPassword("password", hash) {
				t.Errorf("VerifyPassword accepted malformed hash %q", hash)
			}
		})
	}
}

var tokenSecret = regexp.MustCompile(`^[A-Za-z0-9]{40}$`)

func TestNewTokenSecret(t *testing.T) {
	seen := map[string]bool{}
	chars := map[rune]bool{}
	for range 200 {
		s, err := vintry.NewTokenSecret()
		if err != nil {
			t.Fatal(err)
		}
		if !tokenSecret.MatchString(s) {
			t.Fatalf("NewTokenSecret() = %q, want 40 alphanumeric characters", s)
		}
		if seen[s] {
			t.Fatalf("NewTokenSecret() repeated %q", s)
		}
		seen[s] = true
		for _, c := range s {
			chars[c] = true
		}
	}
	// 8000 random characters from 62 leave none out (p < 1e-40).
	if len(chars) != 62 {
		t.Errorf("secrets used %d distinct characters, want all 62", len(chars))
	}
}

func TestFormatAndParseToken(t *testing.T) {
	secret, err := vintry.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 42, math.MaxInt64} {
		token := vintry.FormatToken(id, secret)
		gotID, gotSecret, ok := vintry.ParseToken(token)
		if !ok || gotID != id || gotSecret != secret {
			t.Errorf("ParseToken(%q) = %d, %q, %v; want %d, %q, true", token, gotID, gotSecret, ok, id, secret)
		}
	}
	if got := vintry.FormatToken(7, secret); got != "7|"+secret {
		t.Errorf("FormatToken = %q", got)
	}
}

func TestParseTokenRejects(t *testing.T) {
	s40 := strings.Repeat("a", 40)
	tests := []string{
		"",
		"|",
		s40,
		"1" + s40,
		"1|",
		"1|" + s40[:39],
		"1|" + s40 + "a",
		"0|" + s40,
		"-1|" + s40,
		"+1|" + s40,
		"a|" + s40,
		"|" + s40,
		"9223372036854775808|" + s40, // MaxInt64 + 1
		"00000000000000000001|" + s40,
		"01|" + s40,
		" 1|" + s40,
		"1 |" + s40,
	}
	for _, token := range tests {
		if id, secret, ok := vintry.ParseToken(token); ok {
			t.Errorf("ParseToken(%q) = %d, %q, true; want rejected", token, id, secret)
		}
	}
}

package http_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.RateLimit = 3 })
	tn := e.newTenant("acme", false)
	other := e.newTenant("other", false)
	for i := 0; i < 3; i++ {
		if res := e.do("GET", "/acme/api/v1/inventory", tn.MemberToken, nil); res.Status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, res.Status, res.Body)
		}
	}
	res := e.do("GET", "/acme/api/v1/inventory", tn.MemberToken, nil)
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("4th request: %d, want 429: %s", res.Status, res.Body)
	}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 {
		t.Errorf("Retry-After = %q, want 1..60 seconds", res.Header.Get("Retry-After"))
	}
	if msg := res.JSON(t)["message"]; msg == "" {
		t.Errorf("429 without a message: %s", res.Body)
	}
	// Buckets are per token: the admin token and another tenant are unaffected.
	if res := e.do("GET", "/acme/api/v1/inventory", tn.AdminToken, nil); res.Status != http.StatusOK {
		t.Errorf("another token: %d", res.Status)
	}
	if res := e.do("GET", "/other/api/v1/inventory", other.MemberToken, nil); res.Status != http.StatusOK {
		t.Errorf("another tenant: %d", res.Status)
	}
	// Unauthenticated requests are refused before any bucket is made.
	if res := e.do("GET", "/acme/api/v1/inventory", "", nil); res.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", res.Status)
	}
}

func TestTokenCreateRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.LoginRateLimit = 2 })
	e.newTenant("acme", false)
	wrong := "/acme/api/v1/tokens/create?email=member@acme.test&password=wrong-password"
	for i := 0; i < 2; i++ {
		if res := e.do("POST", wrong, "", nil); res.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s", i, res.Status, res.Body)
		}
	}
	res := e.do("POST", wrong, "", nil)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("3rd guess: %d (Retry-After %q), want 429", res.Status, res.Header.Get("Retry-After"))
	}
	// The right password is limited too: the IP's bucket is empty.
	right := "/acme/api/v1/tokens/create?email=member@acme.test&password=" + url.QueryEscape(testPassword)
	if res := e.do("POST", right, "", nil); res.Status != http.StatusTooManyRequests {
		t.Errorf("after the limit: %d, want 429", res.Status)
	}
}

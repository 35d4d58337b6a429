package http_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	vhttp "github.com/vintry/vintry/http"
)

// from returns an HTTP client whose connections come from ip (another
// loopback address), so the server sees another client.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestWrongPasswordsCannotLockOut: a stranger guessing a user's password
// from one client is refused (429) after the free failures, and so is the
// same client guessing on; the user, signing in from another client, gets
// in through the API and the UI; and a third client guessing is not
// refused for the first one's failures.
func TestWrongPasswordsCannotLockOut(t *testing.T) {
	t.Parallel()
	if l, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 is not a usable source address here: %v", err)
	} else {
		l.Close()
	}
	const free = 3
	e := newEnv(t, func(c *vhttp.Config) { c.LoginRateLimit = free })
	e.newTenant("acme", false)
	try := func(c *http.Client, password string) *http.Response {
		t.Helper()
		q := url.Values{"email": {"member@acme.test"}, "password": {password}}
		res, err := c.Post(e.URL+"/acme/api/v1/tokens/create?"+q.Encode(), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res
	}
	stranger, user, third := from("127.0.0.2"), from("127.0.0.1"), from("127.0.0.3")
	for i := 0; i < free; i++ {
		if res := try(stranger, "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i, res.StatusCode)
		}
	}
	res := try(stranger, "guess")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("guess after the free failures: %d (Retry-After %q), want 429", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := try(user, testPassword); res.StatusCode != http.StatusOK {
		t.Fatalf("the user from another client: %d, want 200 (locked out by a stranger)", res.StatusCode)
	}
	form := url.Values{"email": {"member@acme.test"}, "password": {testPassword}}
	ui, err := user.Post(e.URL+"/acme/login", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	ui.Body.Close()
	if ui.StatusCode != http.StatusSeeOther {
		t.Fatalf("the user's UI sign-in: %d, want 303", ui.StatusCode)
	}
	if res := try(third, "guess"); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a third client's first guess: %d, want 401 (its own count)", res.StatusCode)
	}
}

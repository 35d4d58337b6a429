package jobs

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestWebhookClientChecksResolvedAddress: the delivery client checks the
// address it dials after DNS resolution, so a name ("localhost" here) that
// resolves to a refused address is never contacted.
func TestWebhookClientChecksResolvedAddress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	byName := "http://localhost:" + u.Port() + "/hook"

	for _, target := range []string{byName, srv.URL} {
		client := newWebhookClient(WebhookConfig{}.withDefaults())
		res, err := client.Post(target, "application/json", nil)
		var refused *addressRefused
		if !errors.As(err, &refused) {
			if res != nil {
				res.Body.Close()
			}
			t.Errorf("POST %s without allowPrivate: %v, want the address refused", target, err)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the server was contacted %d times", n)
	}

	client := newWebhookClient(WebhookConfig{AllowPrivate: true}.withDefaults())
	res, err := client.Post(byName, "application/json", nil)
	if err != nil {
		t.Fatalf("POST with allowPrivate: %v", err)
	}
	res.Body.Close()
	if hits.Load() != 1 {
		t.Errorf("hits = %d, want 1", hits.Load())
	}
}

// TestWebhookClientNoRedirects: a redirect is the attempt's answer, not
// followed (it could point anywhere, a refused address included).
func TestWebhookClientNoRedirects(t *testing.T) {
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	res, err := newWebhookClient(WebhookConfig{AllowPrivate: true}.withDefaults()).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTemporaryRedirect || followed.Load() {
		t.Errorf("status %d, followed %v; want 307, not followed", res.StatusCode, followed.Load())
	}
}

func TestWebhookBackoff(t *testing.T) {
	w := &WebhookWorker{Config: WebhookConfig{Backoff: time.Second, MaxBackoff: 10 * time.Second}.withDefaults()}
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {4, 8 * time.Second},
		{5, 10 * time.Second}, {60, 10 * time.Second},
	}
	for _, tt := range tests {
		before := time.Now()
		next := w.NextRetry(&river.Job[WebhookArgs]{JobRow: &rivertype.JobRow{Attempt: tt.attempt}})
		if d := next.Sub(before); d < tt.want || d > tt.want+time.Second {
			t.Errorf("attempt %d: next retry in %v, want %v", tt.attempt, d, tt.want)
		}
	}
}

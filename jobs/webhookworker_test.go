package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
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

// TestDeliveryError: a failed attempt's recorded error says what went wrong
// without the addresses a name resolved to or the resolver's address.
func TestDeliveryError(t *testing.T) {
	dial := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://hooks.example/in", Err: &net.OpError{Op: "dial", Net: "tcp",
			Addr: &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 443}, Err: err}}
	}
	tests := []struct {
		err  error
		want string
	}{
		{dial(&addressRefused{netip.MustParseAddr("127.0.0.1")}),
			"The host resolves to a loopback, private or link-local address; this server does not send webhooks there."},
		{&url.Error{Op: "Post", URL: "https://x.example/", Err: &net.OpError{Op: "dial", Net: "tcp",
			Err: &net.DNSError{Err: "no such host", Name: "x.example", Server: "10.9.9.9:53", IsNotFound: true}}}, "The host name does not resolve."},
		{&net.DNSError{Err: "server misbehaving", Name: "x.example", Server: "10.9.9.9:53"}, "The host name could not be resolved."},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), "The receiver did not answer within 10s."},
		{dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "The receiver refused the connection."},
		{dial(os.NewSyscallError("connect", syscall.ENETUNREACH)), "The request could not be sent: connect: network is unreachable"},
		{&url.Error{Op: "Post", URL: "https://x.example/", Err: io.EOF}, "The receiver closed the connection before it answered."},
		{&receiverStatus{503}, "the receiver answered 503"},
		{errors.New("something else at 10.1.2.3"), "The request could not be sent."},
	}
	for _, tt := range tests {
		got := deliveryError(tt.err, 10*time.Second)
		if got != tt.want {
			t.Errorf("deliveryError(%v) = %q, want %q", tt.err, got, tt.want)
		}
		for _, leak := range []string{"10.9.9.9", "10.1.2.3", "127.0.0.1"} {
			if strings.Contains(got, leak) {
				t.Errorf("deliveryError(%v) = %q names %s", tt.err, got, leak)
			}
		}
	}
}

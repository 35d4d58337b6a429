package jobs

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/vintry/vintry"
)

// WebhookArgs are a delivery's queue job arguments: only the delivery's id.
type WebhookArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "webhook_delivery" }

// webhookQueue runs deliveries apart from imports, so slow receivers never
// hold up an import.
const webhookQueue = "webhooks"

// WebhookConfig sets up webhook deliveries. Zero fields take the defaults.
type WebhookConfig struct {
	// AllowPrivate lets deliveries reach loopback, private and link-local
	// addresses (a server flag for self-hosted setups and tests).
	AllowPrivate bool
	// Render renders a job as the content of its status endpoint, the
	// "data" of a delivery's body. Required when deliveries exist.
	Render func(tenantSlug string, job *vintry.ImportJob) any
	// Backoff is the wait before the first retry (default 30 s); each retry
	// waits twice as long as the one before, at most MaxBackoff (1 h).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// MaxAttempts bounds the attempts of a delivery (default 8: about two
	// hours of retries with the default backoff).
	MaxAttempts int
	// Timeout bounds one attempt, from dialling to the response's end
	// (default 10 s).
	Timeout time.Duration
	// Workers is how many deliveries run at once on a node (default 4).
	Workers int
}

func (c WebhookConfig) withDefaults() WebhookConfig {
	c.Backoff = orDefault(c.Backoff, 30*time.Second)
	c.MaxBackoff = orDefault(c.MaxBackoff, time.Hour)
	c.Timeout = orDefault(c.Timeout, 10*time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.Workers <= 0 {
		c.Workers = 4
	}
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// insertOpts are the queue options of every delivery job.
func (c WebhookConfig) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{Queue: webhookQueue, MaxAttempts: c.MaxAttempts}
}

// WebhookStore is what the delivery worker needs from storage.
type WebhookStore interface {
	FindPendingDelivery(ctx context.Context, id int64) (*vintry.PendingDelivery, error)
	RecordWebhookAttempt(ctx context.Context, id int64, a vintry.WebhookAttempt) error
}

// WebhookWorker makes delivery attempts: it POSTs the signed body, records
// each attempt's status code or error on the delivery, and returns an error
// for River to retry with backoff until the last attempt.
type WebhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	Store  WebhookStore
	Config WebhookConfig // with defaults applied
	Client *http.Client  // from newWebhookClient
}

// maxResponseRead bounds how much of a receiver's answer is read (and
// thrown away) so its connection can be reused.
const maxResponseRead = 64 << 10

// NextRetry implements river.Worker: exponential backoff, capped.
func (w *WebhookWorker) NextRetry(job *river.Job[WebhookArgs]) time.Time {
	d := w.Config.Backoff
	for i := 1; i < job.Attempt && d < w.Config.MaxBackoff; i++ {
		d *= 2
	}
	return time.Now().Add(min(d, w.Config.MaxBackoff))
}

// Timeout implements river.Worker: the attempt's own timeout bounds it.
func (w *WebhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration {
	return 2*w.Config.Timeout + 10*time.Second
}

// Work implements river.Worker.
func (w *WebhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	pd, err := w.Store.FindPendingDelivery(ctx, job.Args.DeliveryID)
	if vintry.ErrorCode(err) == vintry.ENOTFOUND {
		return river.JobCancel(err) // its webhook was deleted
	} else if err != nil {
		return err
	}
	if pd.Delivery.Status != vintry.DeliveryPending {
		return nil // an earlier attempt's outcome was recorded, its acknowledgement lost
	}
	if pd.Payload == nil {
		if pd.Payload, err = w.payload(pd); err != nil {
			return err
		}
	}
	code, sendErr := w.send(ctx, pd)
	if ctx.Err() != nil {
		// Shutting down (or the attempt's own River timeout): not the
		// receiver's failure; River runs the attempt again.
		return ctx.Err()
	}
	attempt := vintry.WebhookAttempt{Payload: pd.Payload, ResponseCode: code, Status: vintry.DeliveryPending}
	var refused *addressRefused
	switch {
	case sendErr == nil && code >= 200 && code < 300:
		attempt.Status = vintry.DeliverySucceeded
	case sendErr == nil:
		sendErr = &receiverStatus{code}
	}
	if sendErr != nil {
		attempt.Error = truncate(deliveryError(sendErr, w.Config.Timeout), 500)
		if errors.As(sendErr, &refused) || job.Attempt >= job.MaxAttempts {
			attempt.Status = vintry.DeliveryFailed
		}
	}
	if err := w.Store.RecordWebhookAttempt(context.WithoutCancel(ctx), pd.Delivery.ID, attempt); err != nil {
		return errors.Join(sendErr, err)
	}
	if errors.As(sendErr, &refused) {
		return river.JobCancel(sendErr) // retrying cannot help: the address is not allowed
	}
	return sendErr
}

// webhookBody is the JSON body of a delivery.
type webhookBody struct {
	Event      string `json:"event"`
	DeliveryID int64  `json:"delivery_id"`
	CreatedAt  string `json:"created_at"`
	Data       any    `json:"data"`
}

// payload renders a delivery's body: the event and the job as its status
// endpoint shows it.
func (w *WebhookWorker) payload(pd *vintry.PendingDelivery) ([]byte, error) {
	if w.Config.Render == nil {
		return nil, errors.New("jobs: no webhook renderer configured")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(webhookBody{Event: pd.Delivery.Event, DeliveryID: pd.Delivery.ID,
		CreatedAt: pd.Delivery.CreatedAt.UTC().Format(time.RFC3339), Data: w.Config.Render(pd.TenantSlug, pd.Job)})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// send POSTs the signed payload and returns the response's status code.
func (w *WebhookWorker) send(ctx context.Context, pd *vintry.PendingDelivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, w.Config.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pd.URL, bytes.NewReader(pd.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Vintry-Webhooks/1")
	req.Header.Set("Vintry-Event", pd.Delivery.Event)
	req.Header.Set("Vintry-Delivery", strconv.FormatInt(pd.Delivery.ID, 10))
	req.Header.Set(vintry.SignatureHeader, vintry.SignWebhook(pd.Secret, time.Now(), pd.Payload))
	res, err := w.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, maxResponseRead))
	return res.StatusCode, nil
}

// deliveryError is what a failed attempt records (and the API shows): what
// went wrong, in words of the receiver's side, without the addresses a name
// resolved to or the resolver this server asked, which the webhook's owner
// has no business learning.
func deliveryError(err error, timeout time.Duration) string {
	var (
		refused *addressRefused
		dnsErr  *net.DNSError
		opErr   *net.OpError
		netErr  net.Error
		certErr *tls.CertificateVerificationError
		status  *receiverStatus
	)
	switch {
	case errors.As(err, &status):
		return status.Error()
	case errors.As(err, &refused):
		return "The host resolves to a loopback, private or link-local address; this server does not send webhooks there."
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return "The host name does not resolve."
		}
		return "The host name could not be resolved."
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return fmt.Sprintf("The receiver did not answer within %s.", timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "The receiver refused the connection."
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "The receiver closed the connection before it answered."
	case errors.As(err, &certErr):
		return "The receiver's TLS certificate was not accepted: " + certErr.Err.Error()
	case errors.As(err, &opErr):
		return "The request could not be sent: " + opErr.Err.Error()
	}
	return "The request could not be sent."
}

// receiverStatus is the error of an answer outside 2xx.
type receiverStatus struct{ code int }

func (e *receiverStatus) Error() string { return fmt.Sprintf("the receiver answered %d", e.code) }

// addressRefused is the dial error for an address the policy refuses.
type addressRefused struct{ addr netip.Addr }

func (e *addressRefused) Error() string {
	return fmt.Sprintf("the address %s is loopback, private or link-local; this server does not send webhooks there", e.addr)
}

// newWebhookClient returns the HTTP client of deliveries: no proxy, no
// redirects, a bounded time, and a dialer that checks every address it
// connects to — after DNS resolution, so a name that resolves (or is
// re-pointed) to a refused address is never contacted.
func newWebhookClient(cfg WebhookConfig) *http.Client {
	dialer := &net.Dialer{
		Timeout: cfg.Timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return err
			}
			if !vintry.AddressAllowed(ap.Addr(), cfg.AllowPrivate) {
				return &addressRefused{ap.Addr()}
			}
			return nil
		},
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       time.Minute,
			ForceAttemptHTTP2:     true,
		},
		Timeout:       cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

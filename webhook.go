package vintry

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook events.
const (
	EventImportCompleted = "import.completed" // a job ended completed or completed_with_errors
	EventImportFailed    = "import.failed"    // a job ended failed
)

// WebhookEvents lists every event a webhook may subscribe to.
var WebhookEvents = []string{EventImportCompleted, EventImportFailed}

// JobEvent returns the webhook event a job's terminal status raises, or
// false when the status raises none.
func JobEvent(s JobStatus) (string, bool) {
	switch s {
	case StatusCompleted, StatusCompletedWithErrors:
		return EventImportCompleted, true
	case StatusFailed:
		return EventImportFailed, true
	}
	return "", false
}

// Webhook is a URL that receives a tenant's job events.
type Webhook struct {
	ID          int64
	URL         string
	Events      []string
	Description string
	// Secret signs the deliveries. It is filled by CreateWebhook and shown
	// to the client once; reads leave it empty.
	Secret    string
	CreatedAt time.Time
}

// DeliveryStatus is the state of one webhook delivery.
type DeliveryStatus string

// Delivery statuses: pending until an attempt succeeds or the last attempt
// fails.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// WebhookDelivery is one event sent (or to be sent) to one webhook.
type WebhookDelivery struct {
	ID        int64
	WebhookID int64
	JobID     int64
	Event     string
	Status    DeliveryStatus
	Attempts  int
	// ResponseCodes holds each attempt's HTTP status, 0 when the attempt got
	// no response (a refused connection, a timeout).
	ResponseCodes []int
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	CompletedAt   *time.Time
}

// WebhookService manages a tenant's webhooks. Every method works on the
// tenant of the principal in ctx.
type WebhookService interface {
	// CreateWebhook stores w (its URL already checked by CheckWebhookURL)
	// and fills its ID, Secret and CreatedAt.
	CreateWebhook(ctx context.Context, w *Webhook) error
	// FindWebhooks returns one page of the tenant's webhooks, oldest first,
	// without secrets.
	FindWebhooks(ctx context.Context, page PageRequest) ([]Webhook, Page, error)
	// DeleteWebhook removes a webhook and its deliveries; ENOTFOUND
	// MsgWebhookNotFound when it does not exist or belongs to another tenant.
	DeleteWebhook(ctx context.Context, id int64) error
	// FindWebhookDeliveries returns one page of a webhook's deliveries,
	// newest first; ENOTFOUND as DeleteWebhook.
	FindWebhookDeliveries(ctx context.Context, webhookID int64, page PageRequest) ([]WebhookDelivery, Page, error)
}

// MsgWebhookNotFound is the 404 message for an unknown webhook.
const MsgWebhookNotFound = "Webhook not found."

// Webhook limits.
const (
	MaxWebhooks                = 20   // per tenant
	MaxWebhookURLLength        = 2048 // bytes
	MaxWebhookDescriptionChars = 255
)

// PendingDelivery is what a worker needs to make one delivery attempt.
type PendingDelivery struct {
	Delivery   WebhookDelivery
	URL        string
	Secret     string
	TenantSlug string
	Job        *ImportJob
	// Payload is the body the first attempt sent, nil before it: every
	// attempt of a delivery sends the same bytes.
	Payload []byte
}

// WebhookAttempt is the outcome of one delivery attempt.
type WebhookAttempt struct {
	Payload      []byte
	ResponseCode int // 0: no response
	Error        string
	Status       DeliveryStatus // pending when the attempt failed and another will follow
}

// NewWebhookSecret returns a new random signing secret.
func NewWebhookSecret() string { return "whsec_" + rand.Text() }

// CheckWebhookURL checks a webhook URL as far as it can be checked without
// resolving names, and returns it in canonical form (host in lower case
// without a trailing dot, an IP address in its standard spelling, no default
// port): an absolute http or https URL with a host, no user information, at
// most MaxWebhookURLLength bytes, and — unless allowPrivate — not an IP
// address or "localhost" name that AddressAllowed refuses. The caller
// resolves names at registration; deliveries check again, on the addresses
// a name resolves to then.
func CheckWebhookURL(raw string, allowPrivate bool) (string, error) {
	bad := func(msg string) (string, error) { return "", FieldError("url", msg) }
	if raw == "" {
		return bad("The url field is required.")
	}
	if len(raw) > MaxWebhookURLLength {
		return bad(fmt.Sprintf("The url must be at most %d characters.", MaxWebhookURLLength))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return bad("The url must be an absolute http or https URL.")
	}
	if u.User != nil {
		return bad("The url must not contain a user name or password.")
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return bad("The url must be an absolute http or https URL.")
	}
	port := u.Port()
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("The url has an invalid port.")
		}
	}
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	// An address may be spelled many ways (127.1, 0x7f000001, 2130706433,
	// 0177.0.0.1, ::ffff:127.0.0.1); resolvers read them all as one. The
	// URL keeps its one canonical spelling, and that is what is checked.
	ip, isIP := netip.Addr{}, false
	if a, err := netip.ParseAddr(host); err == nil {
		ip, isIP = a.Unmap(), true
	} else if a, ok, valid := legacyIPv4(host); ok {
		if !valid {
			return bad("The url's host is not a valid IP address or name.")
		}
		ip, isIP = a, true
	}
	if isIP {
		host = ip.String()
	}
	u.Host = host
	if isIP && ip.Is6() {
		u.Host = "[" + host + "]"
	}
	if port != "" {
		u.Host += ":" + port
	}
	if allowPrivate {
		return u.String(), nil
	}
	refused := MsgWebhookRefused
	if isIP && !AddressAllowed(ip, false) {
		return bad(refused)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return bad(refused)
	}
	return u.String(), nil
}

// MsgWebhookRefused is the message of a webhook URL whose host is, or
// resolves to, an address deliveries may not reach.
const MsgWebhookRefused = "The url points to a loopback, private or link-local address; this server does not send webhooks there."

// legacyIPv4 reads host as the IPv4 forms inet_aton accepts: one to four
// dot-separated numbers, each decimal, octal (leading 0) or hex (0x), the
// last filling the remaining bytes. ok reports that host has that shape
// (every part a number, as no DNS name's last label is); valid that the
// numbers fit.
func legacyIPv4(host string) (addr netip.Addr, ok, valid bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		for _, p := range parts {
			if _, err := strconv.ParseUint(p, 0, 64); err != nil {
				return addr, false, false
			}
		}
		return addr, true, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			p, base = p[2:], 16
		case len(p) > 1 && p[0] == '0':
			p, base = p[1:], 8
		}
		n, err := strconv.ParseUint(p, base, 64)
		if err != nil {
			if e, isNum := err.(*strconv.NumError); isNum && e.Err == strconv.ErrRange {
				return addr, true, false
			}
			return addr, false, false
		}
		nums[i] = n
	}
	last := len(nums) - 1
	var v uint64
	for i, n := range nums[:last] {
		if n > 0xff {
			return addr, true, false
		}
		v |= n << (24 - 8*i)
	}
	if nums[last] >= 1<<(32-8*last) {
		return addr, true, false
	}
	v |= nums[last]
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, true
}

// reservedPrefixes are ranges outside the public internet that the netip
// predicates do not cover.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, which can reach any IPv4 address
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
}

// AddressAllowed reports whether a webhook may be delivered to ip. The
// unspecified address and multicast are never allowed; loopback, private,
// link-local and other non-public ranges only with allowPrivate.
func AddressAllowed(ip netip.Addr, allowPrivate bool) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	if allowPrivate {
		return true
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range reservedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// SignatureHeader is the header that carries a delivery's signature.
const SignatureHeader = "Vintry-Signature"

// SignWebhook returns the Vintry-Signature value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with secret>".
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(webhookMAC(secret, ts, body))
}

func webhookMAC(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return mac.Sum(nil)
}

// VerifyWebhookSignature checks a Vintry-Signature header against body, as
// a receiver should: the MAC must match (compared in constant time) and the
// timestamp must be within tolerance of now, so a captured delivery cannot
// be replayed later.
func VerifyWebhookSignature(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("webhook signature: malformed header")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("webhook signature: timestamp outside the tolerance")
	}
	want := webhookMAC(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("webhook signature: no signature matches")
}

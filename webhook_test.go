package vintry_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
)

func TestAddressAllowed(t *testing.T) {
	tests := []struct {
		addr           string
		public, flagOn bool // allowed without, and with, allowPrivate
	}{
		{"93.184.215.14", true, true},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", true, true},
		{"8.8.8.8", true, true},
		{"127.0.0.1", false, true},
		{"127.255.255.254", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true}, // IPv4-mapped loopback
		{"10.0.0.1", false, true},
		{"172.16.5.4", false, true},
		{"172.32.0.1", true, true}, // just outside 172.16/12
		{"192.168.1.1", false, true},
		{"fd00::1", false, true},
		{"169.254.169.254", false, true}, // cloud metadata
		{"fe80::1", false, true},
		{"100.64.0.1", false, true},
		{"198.18.0.1", false, true},
		{"255.255.255.255", false, true},
		{"64:ff9b::7f00:1", false, true}, // NAT64 of 127.0.0.1
		{"0.0.0.0", false, false},
		{"::", false, false},
		{"224.0.0.1", false, false},
		{"ff02::1", false, false},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.addr)
		if got := vintry.AddressAllowed(ip, false); got != tt.public {
			t.Errorf("AddressAllowed(%s, false) = %v, want %v", tt.addr, got, tt.public)
		}
		if got := vintry.AddressAllowed(ip, true); got != tt.flagOn {
			t.Errorf("AddressAllowed(%s, true) = %v, want %v", tt.addr, got, tt.flagOn)
		}
	}
}

func TestCheckWebhookURL(t *testing.T) {
	tests := []struct {
		url            string
		public, flagOn bool // accepted without, and with, allowPrivate
	}{
		{"https://erp.example.com/hooks/vintry", true, true},
		{"http://erp.example.com:8080/x?y=1", true, true},
		{"https://93.184.215.14/hook", true, true},
		{"HTTPS://ERP.EXAMPLE.COM/", true, true},
		{"ftp://erp.example.com/", false, false},
		{"erp.example.com/hook", false, false},
		{"/hook", false, false},
		{"https://", false, false},
		{"https:///path", false, false},
		{"mailto:ops@example.com", false, false},
		{"https://user@erp.example.com/", false, false},
		{"https://user:pw@erp.example.com/", false, false},
		{"https://erp.example.com:0/", false, false},
		{"https://erp.example.com:99999/", false, false},
		{"https://erp.example.com/\x7f", false, false},
		{"https://erp.example.com/" + strings.Repeat("a", vintry.MaxWebhookURLLength), false, false},
		{"http://127.0.0.1:9000/", false, true},
		{"http://[::1]/", false, true},
		{"http://localhost/", false, true},
		{"http://api.localhost./", false, true},
		{"http://10.0.0.8/", false, true},
		{"http://0.0.0.0/", false, true}, // no name check with the flag; the dialer refuses it
		{"http://127.1/", false, true},
		{"http://0x7f000001/", false, true},
		{"http://2130706433/", false, true},
		{"http://0177.0.0.1/", false, true},
		{"http://10.1/", false, true},
		{"http://[::ffff:7f00:1]/", false, true},
		{"http://1.2.3.4.5/", false, false},
		{"http://256.1.1.1/", false, false},
		{"http://4294967296/", false, false},
		{"http://1.16777216/", false, false},
	}
	for _, tt := range tests {
		if _, err := vintry.CheckWebhookURL(tt.url, false); (err == nil) != tt.public {
			t.Errorf("CheckWebhookURL(%q, false) = %v, want accepted %v", tt.url, err, tt.public)
		} else if err != nil && vintry.ErrorCode(err) != vintry.EINVALID {
			t.Errorf("CheckWebhookURL(%q) error code %q, want %q", tt.url, vintry.ErrorCode(err), vintry.EINVALID)
		}
		if _, err := vintry.CheckWebhookURL(tt.url, true); (err == nil) != tt.flagOn {
			t.Errorf("CheckWebhookURL(%q, true) = %v, want accepted %v", tt.url, err, tt.flagOn)
		}
	}
}

// TestCheckWebhookURLCanonical: an accepted URL comes back in its one
// canonical spelling, which is what is stored and checked.
func TestCheckWebhookURLCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://ERP.Example.COM./Hooks?x=Y": "https://erp.example.com/Hooks?x=Y",
		"https://erp.example.com:443/h":      "https://erp.example.com/h",
		"http://erp.example.com:80/h":        "http://erp.example.com/h",
		"http://erp.example.com:8080/h":      "http://erp.example.com:8080/h",
		"http://127.1:9000/h":                "http://127.0.0.1:9000/h",
		"http://0x7f000001/":                 "http://127.0.0.1/",
		"http://2130706433/":                 "http://127.0.0.1/",
		"http://0177.0.0.01/":                "http://127.0.0.1/",
		"http://1.2.65535/":                  "http://1.2.255.255/",
		"http://[::FFFF:127.0.0.1]/":         "http://127.0.0.1/",
		"http://[2001:DB8::0:1]:8443/":       "http://[2001:db8::1]:8443/",
		"http://93.184.215.14/":              "http://93.184.215.14/",
		"http://cafe.example/":               "http://cafe.example/",
	} {
		got, err := vintry.CheckWebhookURL(in, true)
		if err != nil || got != want {
			t.Errorf("CheckWebhookURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestWebhookSignature(t *testing.T) {
	const secret = "whsec_test"
	body := []byte(`{"event":"import.completed","delivery_id":1}`)
	at := time.Unix(1700000000, 0)
	sig := vintry.SignWebhook(secret, at, body)

	// The documented construction, computed independently.
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("1700000000." + string(body)))
	if want := "t=1700000000,v1=" + hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Fatalf("SignWebhook = %q, want %q", sig, want)
	}

	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"valid", secret, sig, body, at, true},
		{"valid within tolerance", secret, sig, body, at.Add(4 * time.Minute), true},
		{"too old", secret, sig, body, at.Add(6 * time.Minute), false},
		{"from the future", secret, sig, body, at.Add(-6 * time.Minute), false},
		{"other secret", "whsec_other", sig, body, at, false},
		{"body changed", secret, sig, append([]byte(" "), body...), at, false},
		{"timestamp changed", secret, strings.Replace(sig, "t=1700000000", "t=1700000001", 1), body, at, false},
		{"no v1", secret, "t=1700000000", body, at, false},
		{"no t", secret, sig[strings.Index(sig, "v1="):], body, at, false},
		{"garbage", secret, "nonsense", body, at, false},
		{"extra v1 accepted", secret, sig + ",v1=00", body, at, true},
	}
	for _, tt := range tests {
		err := vintry.VerifyWebhookSignature(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute)
		if (err == nil) != tt.ok {
			t.Errorf("%s: VerifyWebhookSignature = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestJobEvent(t *testing.T) {
	tests := []struct {
		status vintry.JobStatus
		event  string
	}{
		{vintry.StatusCompleted, vintry.EventImportCompleted},
		{vintry.StatusCompletedWithErrors, vintry.EventImportCompleted},
		{vintry.StatusFailed, vintry.EventImportFailed},
		{vintry.StatusPending, ""},
		{vintry.StatusProcessing, ""},
	}
	for _, tt := range tests {
		if got, ok := vintry.JobEvent(tt.status); got != tt.event || ok != (tt.event != "") {
			t.Errorf("JobEvent(%s) = %q, %v, want %q", tt.status, got, ok, tt.event)
		}
	}
}

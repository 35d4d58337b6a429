package http_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
)

// Env options for webhook tests.
var (
	// registerPrivate lets the API register loopback URLs (httptest receivers).
	registerPrivate = func(c *vhttp.Config) { c.WebhooksAllowPrivate = true }
	// deliverPrivate lets deliveries reach loopback receivers, and retries
	// fast so that retry tests take milliseconds.
	deliverPrivate = func(c *jobs.WebhookConfig) {
		c.AllowPrivate = true
		c.Backoff, c.MaxBackoff, c.MaxAttempts = 5*time.Millisecond, 20*time.Millisecond, 4
	}
)

// hookView is a webhook as the API shows it.
type hookView struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	CreatedAt   string   `json:"created_at"`
	Secret      *string  `json:"secret"`
}

// deliveryJSON is a delivery as the API shows it.
type deliveryJSON struct {
	ID               int64   `json:"id"`
	WebhookID        int64   `json:"webhook_id"`
	Event            string  `json:"event"`
	JobLogID         int64   `json:"job_log_id"`
	Status           string  `json:"status"`
	Attempts         int     `json:"attempts"`
	ResponseCodes    []*int  `json:"response_codes"`
	LastResponseCode *int    `json:"last_response_code"`
	LastError        *string `json:"last_error"`
	CompletedAt      *string `json:"completed_at"`
}

func hooksPath(tn *tenant) string { return "/" + tn.Slug + "/api/v1/webhooks" }

// createHook registers a webhook as the tenant's admin; it must answer 201
// with the secret.
func (e *env) createHook(tn *tenant, body string) hookView {
	e.t.Helper()
	res := e.do("POST", hooksPath(tn), tn.AdminToken, body)
	if res.Status != http.StatusCreated {
		e.t.Fatalf("create webhook: %d %s", res.Status, res.Body)
	}
	var out struct{ Content hookView }
	res.Decode(e.t, &out)
	if out.Content.Secret == nil || !strings.HasPrefix(*out.Content.Secret, "whsec_") {
		e.t.Fatalf("create webhook: no secret in %s", res.Body)
	}
	return out.Content
}

// deliveries lists a webhook's deliveries (first page) as the tenant's admin.
func (e *env) deliveries(tn *tenant, hookID int64) []deliveryJSON {
	e.t.Helper()
	res := e.do("GET", fmt.Sprintf("%s/%d/deliveries", hooksPath(tn), hookID), tn.AdminToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("deliveries: %d %s", res.Status, res.Body)
	}
	var out struct{ Data []deliveryJSON }
	res.Decode(e.t, &out)
	return out.Data
}

// waitDeliveries polls a webhook's deliveries until there are n and none is
// pending, and returns them (newest first). It fails the test after 20 s.
func (e *env) waitDeliveries(tn *tenant, hookID int64, n int) []deliveryJSON {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ds := e.deliveries(tn, hookID)
		done := len(ds) == n
		for _, d := range ds {
			done = done && d.Status != "pending"
		}
		if done {
			return ds
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("deliveries of webhook %d after 20s: %+v", hookID, ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	URL  string
	hits atomic.Int32
	got  chan received
}

type received struct {
	header http.Header
	body   []byte
}

// newReceiver starts a receiver that answers the n-th request (1-based)
// with status(n).
func newReceiver(t *testing.T, status func(n int) int) *receiver {
	rc := &receiver{got: make(chan received, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rc.hits.Add(1))
		body, _ := io.ReadAll(r.Body)
		rc.got <- received{header: r.Header.Clone(), body: body}
		w.WriteHeader(status(n))
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL + "/hooks/vintry"
	return rc
}

func always(code int) func(int) int { return func(int) int { return code } }

// next returns the next request the receiver got; it fails the test after 20 s.
func (rc *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the receiver got no delivery in 20s")
		return received{}
	}
}

// verify checks a delivery's signature with the webhook's secret and
// decodes its body.
func (r received) verify(t *testing.T, secret string) (event string, deliveryID int64, data map[string]any) {
	t.Helper()
	if err := vintry.VerifyWebhookSignature(secret, r.header.Get("Vintry-Signature"), r.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("signature %q: %v", r.header.Get("Vintry-Signature"), err)
	}
	if err := vintry.VerifyWebhookSignature("whsec_other", r.header.Get("Vintry-Signature"), r.body, time.Now(), 5*time.Minute); err == nil {
		t.Fatal("the signature verifies with another secret")
	}
	var body struct {
		Event      string         `json:"event"`
		DeliveryID int64          `json:"delivery_id"`
		CreatedAt  string         `json:"created_at"`
		Data       map[string]any `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("delivery body: %v: %s", err, r.body)
	}
	if r.header.Get("Vintry-Event") != body.Event || r.header.Get("Vintry-Delivery") != strconv.FormatInt(body.DeliveryID, 10) ||
		r.header.Get("Content-Type") != "application/json" || body.CreatedAt == "" {
		t.Fatalf("delivery headers %v do not match body %s", r.header, r.body)
	}
	return body.Event, body.DeliveryID, body.Data
}

// statusContent returns a job's status content as generic JSON.
func (e *env) statusContent(tn *tenant, id int64) map[string]any {
	e.t.Helper()
	res := e.do("GET", statusPath(tn, id), tn.MemberToken, nil)
	return res.JSON(e.t)["content"].(map[string]any)
}

func TestWebhookRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("hooks", false)

	hook := e.createHook(tn, `{"url":"https://erp.example.com/hooks/vintry","description":"ERP"}`)
	if !reflect.DeepEqual(hook.Events, []string{"import.completed", "import.failed"}) || hook.Description != "ERP" {
		t.Errorf("created webhook = %+v, want both events by default", hook)
	}
	only := e.createHook(tn, `{"url":"http://erp.example.com:8080/x","events":["import.failed","import.failed"]}`)
	if !reflect.DeepEqual(only.Events, []string{"import.failed"}) {
		t.Errorf("events = %v, want [import.failed]", only.Events)
	}
	res := e.do("GET", hooksPath(tn), tn.AdminToken, nil)
	if res.Status != http.StatusOK || bytes.Contains(res.Body, []byte("secret")) || bytes.Contains(res.Body, []byte("whsec_")) {
		t.Fatalf("list: %d %s, want 200 without secrets", res.Status, res.Body)
	}
	if p := e.page(hooksPath(tn), tn.AdminToken); p.Total != 2 || p.Data[0]["id"] != float64(hook.ID) {
		t.Errorf("list = %+v, want both webhooks, oldest first", p)
	}

	wantError(t, e.do("POST", hooksPath(tn), tn.MemberToken, `{"url":"https://erp.example.com/"}`), http.StatusForbidden, vintry.MsgUnauthorized)
	wantError(t, e.do("GET", hooksPath(tn), tn.MemberToken, nil), http.StatusForbidden, vintry.MsgUnauthorized)
	wantError(t, e.do("POST", hooksPath(tn), tn.AdminToken, `{"url":`), http.StatusBadRequest, "")

	e.do("DELETE", fmt.Sprintf("%s/%d", hooksPath(tn), only.ID), tn.AdminToken, nil)
	if p := e.page(hooksPath(tn), tn.AdminToken); p.Total != 1 {
		t.Errorf("after delete: %d webhooks, want 1", p.Total)
	}
	wantError(t, e.do("DELETE", fmt.Sprintf("%s/%d", hooksPath(tn), only.ID), tn.AdminToken, nil), http.StatusNotFound, vintry.MsgWebhookNotFound)
}

func TestWebhookRegisterRejected(t *testing.T) {
	t.Parallel()
	const private = "The url points to a loopback, private or link-local address; this server does not send webhooks there."
	tests := []struct {
		name, body, field, msg string
	}{
		{"no url", `{}`, "url", "The url field is required."},
		{"ftp", `{"url":"ftp://erp.example.com/x"}`, "url", "The url must be an absolute http or https URL."},
		{"relative", `{"url":"/hooks"}`, "url", "The url must be an absolute http or https URL."},
		{"no host", `{"url":"https:///hooks"}`, "url", "The url must be an absolute http or https URL."},
		{"user info", `{"url":"https://user:pw@erp.example.com/"}`, "url", "The url must not contain a user name or password."},
		{"too long", `{"url":"https://erp.example.com/` + strings.Repeat("a", 2048) + `"}`, "url", "The url must be at most 2048 characters."},
		{"loopback", `{"url":"http://127.0.0.1:9000/hook"}`, "url", private},
		{"localhost", `{"url":"http://LocalHost./hook"}`, "url", private},
		{"private", `{"url":"http://10.1.2.3/hook"}`, "url", private},
		{"link-local metadata", `{"url":"http://169.254.169.254/latest/meta-data"}`, "url", private},
		{"ipv6 loopback", `{"url":"http://[::1]:8080/"}`, "url", private},
		{"mapped ipv4", `{"url":"http://[::ffff:127.0.0.1]/"}`, "url", private},
		{"unknown event", `{"url":"https://erp.example.com/","events":["import.started"]}`, "events",
			"Unknown event 'import.started'; the events are: import.completed, import.failed."},
		{"no events", `{"url":"https://erp.example.com/","events":[]}`, "events",
			"The events must name at least one of: import.completed, import.failed."},
		{"long description", `{"url":"https://erp.example.com/","description":"` + strings.Repeat("é", 256) + `"}`, "description",
			"The description must be text of at most 255 characters."},
		{"not an object", `["https://erp.example.com/"]`, "body", ""},
		{"short loopback", `{"url":"http://127.1/hook"}`, "url", private},
		{"hex loopback", `{"url":"http://0x7f000001/hook"}`, "url", private},
		{"decimal loopback", `{"url":"http://2130706433/hook"}`, "url", private},
		{"octal loopback", `{"url":"http://0177.0.0.1/hook"}`, "url", private},
		{"bad numeric host", `{"url":"http://1.2.3.4.5/hook"}`, "url", "The url's host is not a valid IP address or name."},
		{"name of loopback", `{"url":"http://loop.example.net/hook"}`, "url", private},
		{"name of private", `{"url":"https://intra.example.net/hook"}`, "url", private},
		{"one address private", `{"url":"https://mixed.example.net/hook"}`, "url", private},
		{"unresolvable", `{"url":"https://nowhere.invalid/hook"}`, "url",
			"The url's host name could not be resolved; check the name, or register it once it resolves."},
	}
	e := newEnv(t)
	tn := e.newTenant("rejects", false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := wantError(t, e.forT(t).do("POST", hooksPath(tn), tn.AdminToken, tt.body), http.StatusUnprocessableEntity, tt.msg)
			if len(body.Errors[tt.field]) != 1 {
				t.Errorf("errors = %v, want one under %q", body.Errors, tt.field)
			}
		})
	}
	if p := e.page(hooksPath(tn), tn.AdminToken); p.Total != 0 {
		t.Errorf("%d webhooks after rejected requests, want 0", p.Total)
	}

	t.Run("stored in canonical form", func(t *testing.T) {
		hook := e.createHook(tn, `{"url":"HTTPS://ERP.Example.COM.:443/Hooks/In?A=1"}`)
		if hook.URL != "https://erp.example.com/Hooks/In?A=1" {
			t.Errorf("url = %q, want the canonical form", hook.URL)
		}
	})

	t.Run("private allowed by the server flag", func(t *testing.T) {
		e := newEnv(t, registerPrivate)
		tn := e.newTenant("private", false)
		e.createHook(tn, `{"url":"http://127.0.0.1:9000/hook"}`)
	})
}

func TestWebhookIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.newTenant("hook-a", false), e.newTenant("hook-b", false)
	hook := e.createHook(a, `{"url":"https://erp.example.com/a"}`)
	if p := e.page(hooksPath(b), b.AdminToken); p.Total != 0 {
		t.Errorf("tenant b lists %d webhooks, want 0", p.Total)
	}
	path := fmt.Sprintf("%s/%d", hooksPath(b), hook.ID)
	wantError(t, e.do("GET", path+"/deliveries", b.AdminToken, nil), http.StatusNotFound, vintry.MsgWebhookNotFound)
	wantError(t, e.do("DELETE", path, b.AdminToken, nil), http.StatusNotFound, vintry.MsgWebhookNotFound)
	wantError(t, e.do("GET", fmt.Sprintf("%s/%d/deliveries", hooksPath(a), hook.ID), b.AdminToken, nil), http.StatusForbidden, vintry.MsgUnauthorized)
	if p := e.page(hooksPath(a), a.AdminToken); p.Total != 1 {
		t.Errorf("tenant a lists %d webhooks, want 1 (b's delete must not reach it)", p.Total)
	}
	// An import of tenant b raises nothing for tenant a's webhook.
	e.seedMaster(b)
	e.mustImport(b, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	if ds := e.deliveries(a, hook.ID); len(ds) != 0 {
		t.Errorf("tenant a's webhook has deliveries of tenant b's import: %+v", ds)
	}
}

// TestWebhookDelivery: a receiver gets each terminal job's event, signed
// with the webhook's secret, carrying the job exactly as its status
// endpoint shows it; JSON and CSV imports alike, dry runs not at all.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registerPrivate, deliverPrivate)
	tn := e.newTenant("deliver", true)
	rc := newReceiver(t, always(http.StatusNoContent))
	hook := e.createHook(tn, `{"url":"`+rc.URL+`"}`)
	secret := *hook.Secret

	cases := []struct {
		name  string
		run   func() int64
		event string
	}{
		{"json completed", func() int64 {
			return e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")).JobLogID
		}, "import.completed"},
		{"json failed", func() int64 {
			r := e.importJSON(tn, importBody(true, true, false, rec("NOPE", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
			return r.Content.JobLogID
		}, "import.failed"},
		{"csv completed with errors", func() int64 {
			return e.importCSV(tn, []byte(mixedCSV), argsContinue).JobLogID
		}, "import.completed"},
		{"csv failed", func() int64 { return e.importCSV(tn, []byte(mixedCSV), argsAllOrNothing).JobLogID }, "import.failed"},
		// A revert is a job that changes inventory: its data says its type.
		{"revert completed", func() int64 {
			imported := e.mustImport(tn, rec("124", "SS-03", "FG-GEN-LOT", "2024-01-01", 5, "gal")).JobLogID
			rc.next(t) // the import's own delivery
			return e.revert(tn, imported, nil).Content.JobLogID
		}, "import.completed"},
	}
	for _, j := range cases {
		id := j.run()
		event, deliveryID, data := rc.next(t).verify(t, secret)
		if event != j.event {
			t.Errorf("%s: event %q, want %q", j.name, event, j.event)
		}
		want := e.statusContent(tn, id)
		if strings.HasPrefix(j.name, "revert") && want["type"] != "inventory-import-revert" {
			t.Errorf("%s: status type %v", j.name, want["type"])
		}
		if !reflect.DeepEqual(data, want) {
			t.Errorf("%s: delivery %d data = %v\nwant the status content %v", j.name, deliveryID, data, want)
		}
	}

	// A dry run raises no event: the next delivery is the real run's.
	e.importCSV(tn, []byte(mixedCSV), argsDryRun)
	real := e.mustImport(tn, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	if _, _, data := rc.next(t).verify(t, secret); data["job_log_id"] != json.Number(strconv.FormatInt(real.JobLogID, 10)) {
		t.Errorf("delivery after a dry run is for job %v, want %d", data["job_log_id"], real.JobLogID)
	}

	ds := e.waitDeliveries(tn, hook.ID, len(cases)+2) // the revert case imports too
	for _, d := range ds {
		if d.Status != "succeeded" || d.Attempts != 1 || len(d.ResponseCodes) != 1 || d.LastResponseCode == nil ||
			*d.LastResponseCode != http.StatusNoContent || d.LastError != nil || d.CompletedAt == nil {
			t.Errorf("delivery %+v, want succeeded at the first attempt with 204", d)
		}
	}
	if ds[0].JobLogID != real.JobLogID {
		t.Errorf("newest delivery is for job %d, want %d", ds[0].JobLogID, real.JobLogID)
	}
}

// TestWebhookEventsFilter: a webhook gets only the events it asked for.
func TestWebhookEventsFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registerPrivate, deliverPrivate)
	tn := e.newTenant("filter", true)
	rc := newReceiver(t, always(http.StatusOK))
	hook := e.createHook(tn, `{"url":"`+rc.URL+`","events":["import.failed"]}`)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	failed := e.importJSON(tn, importBody(true, true, false, rec("NOPE", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
	if event, _, data := rc.next(t).verify(t, *hook.Secret); event != "import.failed" ||
		data["job_log_id"] != json.Number(strconv.FormatInt(failed.Content.JobLogID, 10)) {
		t.Errorf("delivery %s for job %v, want import.failed for job %d", event, data["job_log_id"], failed.Content.JobLogID)
	}
	if ds := e.waitDeliveries(tn, hook.ID, 1); ds[0].Event != "import.failed" {
		t.Errorf("deliveries = %+v", ds)
	}
}

// TestWebhookRetry: a receiver that fails is retried with backoff until it
// answers 2xx, with the same body each time; one that never does ends
// failed after the last attempt. Every attempt's code is listed.
func TestWebhookRetry(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registerPrivate, deliverPrivate) // 4 attempts
	tn := e.newTenant("retry", true)
	flaky := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	down := newReceiver(t, always(http.StatusServiceUnavailable))
	flakyHook := e.createHook(tn, `{"url":"`+flaky.URL+`"}`)
	downHook := e.createHook(tn, `{"url":"`+down.URL+`"}`)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))

	var bodies [][]byte
	for range 3 {
		r := flaky.next(t)
		r.verify(t, *flakyHook.Secret)
		bodies = append(bodies, r.body)
	}
	if !bytes.Equal(bodies[0], bodies[1]) || !bytes.Equal(bodies[1], bodies[2]) {
		t.Errorf("retries sent different bodies:\n%s\n%s\n%s", bodies[0], bodies[1], bodies[2])
	}
	code := func(c int) *int { return &c }
	d := e.waitDeliveries(tn, flakyHook.ID, 1)[0]
	if d.Status != "succeeded" || d.Attempts != 3 || !reflect.DeepEqual(d.ResponseCodes, []*int{code(500), code(500), code(200)}) ||
		*d.LastResponseCode != 200 || d.LastError != nil {
		t.Errorf("flaky delivery = %+v (codes %s), want succeeded after 500, 500, 200", d, codesText(d.ResponseCodes))
	}

	d = e.waitDeliveries(tn, downHook.ID, 1)[0]
	if d.Status != "failed" || d.Attempts != 4 || len(d.ResponseCodes) != 4 || *d.LastResponseCode != 503 ||
		d.LastError == nil || !strings.Contains(*d.LastError, "503") {
		t.Errorf("down delivery = %+v (codes %s), want failed after 4 attempts of 503", d, codesText(d.ResponseCodes))
	}
	if n := down.hits.Load(); n != 4 {
		t.Errorf("the down receiver got %d requests, want 4", n)
	}
}

func codesText(codes []*int) string {
	var s []string
	for _, c := range codes {
		if c == nil {
			s = append(s, "null")
		} else {
			s = append(s, strconv.Itoa(*c))
		}
	}
	return "[" + strings.Join(s, ",") + "]"
}

// TestWebhookRefusedAtDelivery: an address the delivery policy refuses is
// never contacted, even when registration let it through (a name that
// resolves to it only later, say). Here the API may register loopback URLs
// but the deliveries may not reach them.
func TestWebhookRefusedAtDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registerPrivate, func(c *jobs.WebhookConfig) { c.Backoff = 5 * time.Millisecond })
	tn := e.newTenant("refused", true)
	rc := newReceiver(t, always(http.StatusOK))
	hook := e.createHook(tn, `{"url":"`+rc.URL+`"}`)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	d := e.waitDeliveries(tn, hook.ID, 1)[0]
	if d.Status != "failed" || d.Attempts != 1 || !reflect.DeepEqual(d.ResponseCodes, []*int{nil}) || d.LastResponseCode != nil ||
		d.LastError == nil || !strings.Contains(*d.LastError, "loopback, private or link-local") {
		t.Errorf("delivery = %+v, want failed at once with the address refused", d)
	}
	if n := rc.hits.Load(); n != 0 {
		t.Errorf("the receiver was contacted %d times", n)
	}
}

// TestWebhookDeletedStopsDelivery: deleting a webhook drops its pending
// deliveries.
func TestWebhookDeletedStopsDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t, registerPrivate, deliverPrivate, func(c *jobs.WebhookConfig) { c.Backoff, c.MaxBackoff = time.Hour, time.Hour })
	tn := e.newTenant("deleted", true)
	rc := newReceiver(t, always(http.StatusInternalServerError))
	hook := e.createHook(tn, `{"url":"`+rc.URL+`"}`)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	rc.next(t) // the first attempt fails; the next would be in an hour
	if res := e.do("DELETE", fmt.Sprintf("%s/%d", hooksPath(tn), hook.ID), tn.AdminToken, nil); res.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if n := e.DB.countRows(t, "webhook_deliveries"); n != 0 {
		t.Errorf("%d deliveries left after the webhook was deleted", n)
	}
}

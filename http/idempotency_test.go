package http_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

const msgKeyReused = "Idempotency key was already used with a different request"

// keyed imports body with an Idempotency-Key, decoding the whole answer.
func (e *env) keyed(tn *tenant, key string, body any) (int, map[string]any) {
	e.t.Helper()
	res := e.do("POST", "/"+tn.Slug+importPath, tn.MemberToken, body, "Idempotency-Key: "+key)
	return res.Status, res.JSON(e.t)
}

func jobID(t *testing.T, answer map[string]any) string {
	t.Helper()
	c, ok := answer["content"].(map[string]any)
	if !ok {
		t.Fatalf("answer without content: %v", answer)
	}
	return string(c["job_log_id"].(json.Number))
}

func TestIdempotentReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	key := invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")
	body := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	status1, first := e.keyed(tn, "key-1", body)
	if status1 != http.StatusOK {
		t.Fatalf("first: %d %v", status1, first)
	}
	// Another import changes the record in between; a replay must not undo it.
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 7, "gal"))
	status2, second := e.keyed(tn, "key-1", body)
	if status2 != http.StatusOK || !reflect.DeepEqual(second, first) {
		t.Errorf("replay = %d %v, want the first answer %v", status2, second, first)
	}
	if got := e.stock(tn)[key]; got != "7 gal" {
		t.Errorf("stock = %q, want 7 gal: the replay imported again", got)
	}
	if n := e.jobCount(tn); n != 2 {
		t.Errorf("jobs = %d, want 2", n)
	}

	// A new key with the same body is a new import.
	status3, third := e.keyed(tn, "key-2", body)
	if status3 != http.StatusOK || jobID(t, third) == jobID(t, first) {
		t.Errorf("new key: %d %v", status3, third)
	}
	if got := e.stock(tn)[key]; got != "5 gal" {
		t.Errorf("stock = %q, want 5 gal", got)
	}
}

func TestIdempotentReplayOfFailedImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	body := importBody(true, true, false,
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec("Nope", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	status1, first := e.keyed(tn, "k", body)
	status2, second := e.keyed(tn, "k", body)
	if status1 != http.StatusUnprocessableEntity || status2 != status1 || !reflect.DeepEqual(first, second) {
		t.Errorf("answers: %d %v / %d %v", status1, first, status2, second)
	}
	if n := e.jobCount(tn); n != 1 {
		t.Errorf("jobs = %d, want 1", n)
	}
	if n := len(e.inventory(tn, "")); n != 0 {
		t.Errorf("inventory has %d records", n)
	}
}

func TestIdempotencyKeyReused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	body := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	if status, _ := e.keyed(tn, "k", body); status != http.StatusOK {
		t.Fatalf("first: %d", status)
	}
	before := e.inventory(tn, "")
	others := map[string]any{
		"other quantity": importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 6, "gal")),
		"other record":   importBody(true, true, false, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 5, "gal")),
		"other args":     importBody(true, false, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")),
		"invalid body":   importBody(false, false, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")),
	}
	for name, other := range others {
		t.Run(name, func(t *testing.T) {
			res := e.forT(t).do("POST", "/acme"+importPath, tn.MemberToken, other, "Idempotency-Key: k")
			wantError(t, res, http.StatusUnprocessableEntity, "")
			if name != "invalid body" && !strings.Contains(string(res.Body), msgKeyReused) {
				t.Errorf("answer %s does not say %q", res.Body, msgKeyReused)
			}
		})
	}
	t.Run("CSV upload", func(t *testing.T) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		part, _ := w.CreateFormFile("file", "stock.csv")
		part.Write([]byte("item_name,bin_name,lot_name,date_filled,quantity,uom\n124,SS-01,FG-GEN-LOT,2024-01-01,5,gal\n"))
		w.WriteField("arguments", validArgs)
		w.Close()
		res := e.forT(t).do("POST", "/acme"+importPath, tn.MemberToken, buf.Bytes(), "Content-Type: "+w.FormDataContentType(), "Idempotency-Key: k")
		wantError(t, res, http.StatusUnprocessableEntity, msgKeyReused)
	})
	if after := e.inventory(tn, ""); !reflect.DeepEqual(after, before) {
		t.Errorf("inventory changed: %v → %v", before, after)
	}
	if n := e.jobCount(tn); n != 1 {
		t.Errorf("jobs = %d, want 1", n)
	}
	res := e.do("POST", "/acme"+importPath, tn.MemberToken, others["other quantity"], "Idempotency-Key: k")
	wantError(t, res, http.StatusUnprocessableEntity, msgKeyReused)
}

func TestIdempotencyKeyPerTenant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("alpha", true)
	b := e.newTenant("beta", true)
	bodyA := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	bodyB := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 8, "gal"))
	_, answerA := e.keyed(a, "shared-key", bodyA)
	// The same key with the same body in beta is beta's own first use...
	statusB, answerB := e.keyed(b, "shared-key", bodyA)
	if statusB != http.StatusOK || jobID(t, answerB) == jobID(t, answerA) {
		t.Fatalf("beta, same body: %d %v", statusB, answerB)
	}
	// ...and so is it in a third tenant with another body.
	c := e.newTenant("gamma", true)
	if status, answer := e.keyed(c, "shared-key", bodyB); status != http.StatusOK {
		t.Fatalf("gamma, other body: %d %v", status, answer)
	}
	k := invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")
	if e.stock(a)[k] != "5 gal" || e.stock(b)[k] != "5 gal" || e.stock(c)[k] != "8 gal" {
		t.Errorf("stock: alpha %v, beta %v, gamma %v", e.stock(a), e.stock(b), e.stock(c))
	}
	if e.jobCount(a) != 1 || e.jobCount(b) != 1 || e.jobCount(c) != 1 {
		t.Error("each tenant must have exactly one job")
	}
}

func TestIdempotencyKeyHeader(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	body := importBody(true, true, true, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	if status, answer := e.keyed(tn, strings.Repeat("k", 255), body); status != http.StatusOK {
		t.Errorf("255-character key: %d %v", status, answer)
	}
	res := e.do("POST", "/acme"+importPath, tn.MemberToken, body, "Idempotency-Key: "+strings.Repeat("k", 256))
	wantError(t, res, http.StatusUnprocessableEntity, "")
	if n := e.jobCount(tn); n != 1 {
		t.Errorf("jobs = %d, want 1", n)
	}
}

// Concurrent requests with one key import once and all get that import's answer.
func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	body, _ := json.Marshal(importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
	const n = 8
	type answer struct {
		res *response
		err error
	}
	answers := make(chan answer, n)
	for range n {
		go func() {
			res, err := e.send("POST", "/acme"+importPath, tn.MemberToken, body, "Idempotency-Key: race")
			answers <- answer{res, err}
		}()
	}
	var first []byte
	for range n {
		a := <-answers
		if a.err != nil {
			t.Fatal(a.err)
		}
		res := a.res
		if res.Status != http.StatusOK {
			t.Fatalf("answer: %d %s", res.Status, res.Body)
		}
		if first == nil {
			first = res.Body
		} else if string(res.Body) != string(first) {
			t.Errorf("answers differ:\n%s\n%s", first, res.Body)
		}
	}
	if e.jobCount(tn) != 1 || len(e.inventory(tn, "")) != 1 {
		t.Errorf("jobs = %d, records = %d, want 1 and 1", e.jobCount(tn), len(e.inventory(tn, "")))
	}
}

// A key is remembered for 24 hours, then forgotten.
func TestIdempotencyWindow(t *testing.T) {
	t.Parallel()
	var c clock
	e := newEnv(t, c.install)
	tn := e.newTenant("acme", true)
	k := invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")
	first := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	second := importBody(true, true, false, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 6, "gal"))
	_, answer := e.keyed(tn, "daily", first)
	c.advance(24*time.Hour - time.Minute)
	if status, replay := e.keyed(tn, "daily", first); status != http.StatusOK || jobID(t, replay) != jobID(t, answer) {
		t.Errorf("replay within 24h: %d %v", status, replay)
	}
	res := e.do("POST", "/acme"+importPath, tn.MemberToken, second, "Idempotency-Key: daily")
	wantError(t, res, http.StatusUnprocessableEntity, msgKeyReused)
	c.advance(2 * time.Minute)
	status, fresh := e.keyed(tn, "daily", second)
	if status != http.StatusOK || jobID(t, fresh) == jobID(t, answer) {
		t.Errorf("after 24h: %d %v", status, fresh)
	}
	if got := e.stock(tn)[k]; got != "6 gal" {
		t.Errorf("stock = %q, want 6 gal", got)
	}
	if n := e.jobCount(tn); n != 2 {
		t.Errorf("jobs = %d, want 2", n)
	}
}

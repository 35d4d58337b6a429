package http_test

import (
	"net/http"
	"strings"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

// TestBusyChecksAnswer503 fills every slot for whole-file upload checks and
// mapping pages: an upload (API and UI) and a mapping page wait, then get
// 503 with Retry-After and create nothing; once slots are free, the same
// requests succeed.
func TestBusyChecksAnswer503(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.CheckSlots = 1 })
	tn := e.newTenant("busy", true)
	ui := e.uiClient(t)
	ui.signIn(tn.Slug)
	draft := ui.upload(tn.Slug, "stock.csv", []byte(goodCSV))
	if draft.Status != http.StatusSeeOther {
		t.Fatalf("UI upload: %d %.300s", draft.Status, draft.Body)
	}
	mappingPage := draft.Header.Get("Location")

	release := vhttp.OccupyChecks(e.Server)
	res := e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue))
	wantError(t, res, http.StatusServiceUnavailable, "The server is busy checking other uploads; try again in a few seconds.")
	if res.Header.Get("Retry-After") == "" {
		t.Error("API 503 without Retry-After")
	}
	for name, res := range map[string]*response{
		"UI upload":    ui.upload(tn.Slug, "stock.csv", []byte(goodCSV)),
		"mapping page": ui.get(mappingPage),
	} {
		wantPage(t, res, http.StatusServiceUnavailable, "try again in a few seconds")
		if res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", name)
		}
	}
	if n := e.jobCount(tn); n != 0 {
		t.Fatalf("a refused upload created %d jobs", n)
	}

	release()
	wantQueued(t, e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue)))
	if res := ui.get(mappingPage); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "stock.csv") {
		t.Fatalf("mapping page after the release: %d", res.Status)
	}
}

// TestBusyBodiesAnswer503 takes the whole request-body budget: requests that
// carry a body (a CSV upload through the API and the UI, a JSON import) wait,
// then get 503 with Retry-After and change nothing, while reads without a
// body still answer; once the budget is free, the same requests succeed.
func TestBusyBodiesAnswer503(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("bodies", true)
	ui := e.uiClient(t)
	ui.signIn(tn.Slug)

	release := vhttp.OccupyBodies(e.Server)
	const busy = "The server is busy receiving other uploads; try again in a few seconds."
	res := e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue))
	wantError(t, res, http.StatusServiceUnavailable, busy)
	if res.Header.Get("Retry-After") == "" {
		t.Error("API 503 without Retry-After")
	}
	res = e.do("POST", "/"+tn.Slug+"/api/v1/inventory/import/process", tn.MemberToken, importBody(true, true, true, records(1)...))
	wantError(t, res, http.StatusServiceUnavailable, busy)
	wantPage(t, ui.upload(tn.Slug, "stock.csv", []byte(goodCSV)), http.StatusServiceUnavailable, "try again in a few seconds")
	if res := e.do("GET", "/"+tn.Slug+"/api/v1/inventory", tn.MemberToken, nil); res.Status != http.StatusOK {
		t.Errorf("inventory list while bodies are busy: %d", res.Status)
	}
	if n := e.jobCount(tn); n != 0 {
		t.Fatalf("a refused upload created %d jobs", n)
	}

	release()
	wantQueued(t, e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue)))
	if res := e.do("POST", "/"+tn.Slug+"/api/v1/inventory/import/process", tn.MemberToken, importBody(true, true, true, records(1)...)); res.Status != http.StatusOK {
		t.Fatalf("JSON import after the release: %d %.300s", res.Status, res.Body)
	}
}

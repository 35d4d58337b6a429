package http_test

import (
	"net/http"
	"strings"
	"testing"

	vhttp "github.com/vintry/vintry/http"
)

// TestTenantFileQuota: once a tenant's stored files (job files and drafts)
// would pass its quota, uploads through the API (CSV and JSON) and the UI
// are refused with 507, no Retry-After, and store nothing; another tenant
// is not affected.
func TestTenantFileQuota(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.TenantFileQuota = 3000 })
	tn := e.newTenant("quota", true)
	other := e.newTenant("roomy", true)
	ui := e.uiClient(t)
	ui.signIn(tn.Slug)

	// Each finished job stores its upload and three result files.
	var refused *response
	for i := 0; i < 20 && refused == nil; i++ {
		res := e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue))
		if res.Status == http.StatusInsufficientStorage {
			refused = res
			break
		}
		e.waitJob(tn, wantQueued(t, res).JobLogID)
	}
	if refused == nil {
		t.Fatal("20 uploads never passed a quota of 3000 bytes")
	}
	body := wantError(t, refused, http.StatusInsufficientStorage, "")
	if !strings.HasPrefix(body.Message, "This tenant's files would pass its storage quota of 3000 bytes (") ||
		!strings.HasSuffix(body.Message, "nothing was stored. Finished jobs' files are deleted at the end of their retention.") {
		t.Errorf("message = %q", body.Message)
	}
	if refused.Header.Get("Retry-After") != "" {
		t.Error("a used-up quota answers Retry-After")
	}
	jobs := e.jobCount(tn)
	res := e.do("POST", "/"+tn.Slug+"/api/v1/inventory/import/process", tn.MemberToken, importBody(true, true, true, records(1)...))
	if b := wantError(t, res, http.StatusInsufficientStorage, ""); !strings.HasPrefix(b.Message, "This tenant's files would pass its storage quota") {
		t.Errorf("JSON import refused with %q", b.Message)
	}
	wantPage(t, ui.upload(tn.Slug, "stock.csv", []byte(goodCSV)), http.StatusInsufficientStorage, "storage quota")
	if n := e.jobCount(tn); n != jobs {
		t.Errorf("refused uploads made %d jobs", n-jobs)
	}
	wantQueued(t, e.upload(other, other.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue)))
}

package http_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vintry/vintry/jobs"
)

// TestUIRevert walks the revert through the job page as an admin: the
// Revert button, the confirmation with the counts, the revert job's page;
// a member sees no button and may not revert.
func TestUIRevert(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"))
	before := e.snapshot(tn)
	wrong := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "500", "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "1", "gal"), rec("124", "SS-03", "FG-GEN-LOT", "2024-01-01", "2", "gal"))
	afterWrong := e.snapshot(tn)

	member := e.uiClient(t)
	member.signIn("acme")
	page := wantPage(t, member.get(uiJobPath("acme", wrong.JobLogID)), http.StatusOK)
	if strings.Contains(page, `id="revert-job"`) {
		t.Errorf("a member sees the Revert button")
	}
	revertPage := uiJobPath("acme", wrong.JobLogID) + "/revert"
	wantPage(t, member.get(revertPage), http.StatusForbidden, "Only an admin can revert an import.")
	wantPage(t, member.postForm(revertPage, url.Values{}), http.StatusForbidden)

	admin := e.uiClient(t)
	wantRedirect(t, admin.login("acme", "admin@acme.test", testPassword, ""), "/acme"+uiJobs)
	wantPage(t, admin.get(uiJobPath("acme", wrong.JobLogID)), http.StatusOK, fmt.Sprintf(`href="%d/revert"`, wrong.JobLogID))
	wantPage(t, admin.get(revertPage), http.StatusOK, "2 created record(s) will be deleted", "1 updated record(s) will be restored",
		"0 deleted record(s) will be re-created", "0 conflict(s)", `id="revert-confirm"`)
	e.wantSnapshot(tn, afterWrong, "after the confirmation page")

	res := admin.postForm(revertPage, url.Values{})
	loc := res.Header.Get("Location")
	var revertID int64
	if _, err := fmt.Sscanf(loc, "/acme"+uiJobs+"/logs/%d", &revertID); err != nil || res.Status != http.StatusSeeOther {
		t.Fatalf("confirm: %d to %q", res.Status, loc)
	}
	e.wantSnapshot(tn, before, "after the revert")
	wantPage(t, admin.get(loc), http.StatusOK, fmt.Sprintf("This job reverted import job <a href=\"%d\">", wrong.JobLogID),
		"badge-completed")
	page = wantPage(t, admin.get(uiJobPath("acme", wrong.JobLogID)), http.StatusOK,
		fmt.Sprintf("This import was reverted by job <a href=\"%d\">", revertID))
	if strings.Contains(page, `id="revert-job"`) {
		t.Errorf("a reverted job still offers Revert")
	}
	wantPage(t, admin.get(revertPage), http.StatusConflict, fmt.Sprintf("This import was already reverted by job %d.", revertID))
}

// TestUICancel cancels a queued job from its page.
func TestUICancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *jobs.Config) { c.Workers = 0 })
	tn := e.newTenant("acme", true)
	job := e.queueCSV(tn, "inventory.csv", []byte(goodCSV), argsContinue)
	c := e.uiClient(t)
	c.signIn("acme")
	path := uiJobPath("acme", job.JobLogID)
	wantPage(t, c.get(path), http.StatusOK, fmt.Sprintf(`action="%d/cancel"`, job.JobLogID))
	wantRedirect(t, c.postForm(path+"/cancel", url.Values{}), path)
	page := wantPage(t, c.get(path), http.StatusOK, "badge-cancelled")
	if strings.Contains(page, `id="cancel-job"`) {
		t.Errorf("a cancelled job still offers Cancel")
	}
	if got := e.readJob(tn, job.JobLogID); got.Status != "cancelled" {
		t.Errorf("job: %+v", got)
	}
	wantPage(t, c.postForm(path+"/cancel", url.Values{}), http.StatusConflict, "The import was already cancelled.")
}

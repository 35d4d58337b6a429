package http_test

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
)

// jobContent is the content of a job status answer (§5).
type jobContent struct {
	JobLogID    int64  `json:"job_log_id"`
	Status      string `json:"status"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Progress    struct {
		CompletedSteps int     `json:"completed_steps"`
		TotalSteps     int     `json:"total_steps"`
		CurrentStep    *string `json:"current_step"`
	} `json:"progress"`
	Summary       summary             `json:"summary"`
	DryRun        bool                `json:"dry_run"`
	Files         map[string][]string `json:"files"`
	JobStatusLink string              `json:"job_status_link"`
	Timestamps    map[string]*string  `json:"timestamps"`
	UserID        int64               `json:"user_id"`
}

// jobStatus reads a job through the status endpoint; it must answer 200.
func (e *env) jobStatus(tn *tenant, id int64) jobContent {
	e.t.Helper()
	res := e.do("GET", fmt.Sprintf("/%s/api/v1/imports/status/%d", tn.Slug, id), tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("job %d: %d %s", id, res.Status, res.Body)
	}
	var out struct {
		Message string
		Content jobContent
	}
	res.Decode(e.t, &out)
	if out.Message != "Job status retrieved successfully" {
		e.t.Errorf("message = %q", out.Message)
	}
	return out.Content
}

func TestJobStatusOfJSONImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	userID, token := e.newUser(tn, "integration@acme.test", vintry.RoleMember)
	res := e.do("POST", "/acme"+importPath, token, importBody(true, true, true,
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec("Cab 2019", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
	var imp struct{ Content importContent }
	res.Decode(t, &imp)
	id := imp.Content.JobLogID
	if res.Status != http.StatusOK || id <= 0 {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	raw := e.do("GET", fmt.Sprintf("/acme/api/v1/imports/status/%d", id), tn.MemberToken, nil).JSON(t)["content"].(map[string]any)
	progress := raw["progress"].(map[string]any)
	if v, ok := progress["current_step"]; !ok || v != nil {
		t.Errorf("current_step = %v (present %v), want null", v, ok)
	}
	for _, key := range []string{"input", "staging", "output", "errors"} {
		list, _ := raw["files"].(map[string]any)[key].([]any)
		if len(list) != 1 || !strings.HasPrefix(fmt.Sprint(list[0]), "/acme/download/") {
			t.Errorf("files.%s = %v, want one download path", key, raw["files"])
		}
	}
	st := e.jobStatus(tn, id)
	if st.JobLogID != id || st.Status != "completed_with_errors" || st.Type != "inventory-import" || st.Description != "Inventory Import" {
		t.Errorf("status = %+v", st)
	}
	if st.Progress.CompletedSteps != 6 || st.Progress.TotalSteps != 6 || st.Progress.CurrentStep != nil {
		t.Errorf("progress = %+v", st.Progress)
	}
	if st.Summary != (summary{Total: 2, Created: 1, Failed: 1}) || st.Summary != imp.Content.Summary {
		t.Errorf("summary = %+v, import said %+v", st.Summary, imp.Content.Summary)
	}
	if st.UserID != userID {
		t.Errorf("user_id = %d, want %d", st.UserID, userID)
	}
	link := fmt.Sprintf("%s/acme/settings/application-maintenance/job-management/imports/logs/%d", e.URL, id)
	if st.JobStatusLink != link || imp.Content.JobStatusLink != link {
		t.Errorf("job_status_link = %q (import said %q), want %q", st.JobStatusLink, imp.Content.JobStatusLink, link)
	}
	var times []time.Time
	for _, key := range []string{"created_at", "started_at", "completed_at"} {
		v := st.Timestamps[key]
		if v == nil || !strings.HasSuffix(*v, "Z") {
			t.Fatalf("timestamps.%s = %v, want RFC 3339 UTC", key, v)
		}
		ts, err := time.Parse(time.RFC3339, *v)
		if err != nil {
			t.Fatalf("timestamps.%s: %v", key, err)
		}
		times = append(times, ts)
	}
	if times[0].After(times[1]) || times[1].After(times[2]) {
		t.Errorf("timestamps out of order: %v", st.Timestamps)
	}
}

func TestJobStatusLinkBaseURL(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.BaseURL = "https://vintry.example" })
	tn := e.newTenant("acme", true)
	c := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	want := fmt.Sprintf("https://vintry.example/acme/settings/application-maintenance/job-management/imports/logs/%d", c.JobLogID)
	if c.JobStatusLink != want || e.jobStatus(tn, c.JobLogID).JobStatusLink != want {
		t.Errorf("job_status_link = %q, want %q", c.JobStatusLink, want)
	}
}

// TestJobStatusLinkIgnoresHost: a request's Host header does not choose the
// host of the links the server hands out (configured base URL, or the
// server's own address).
func TestJobStatusLinkIgnoresHost(t *testing.T) {
	t.Parallel()
	for name, base := range map[string]string{"configured": "https://vintry.example", "own address": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(c *vhttp.Config) { c.BaseURL = base })
			tn := e.newTenant("acme", true)
			res := e.do("POST", "/acme/api/v1/inventory/import/process", tn.MemberToken,
				importBody(true, true, true, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")), "Host: evil.example")
			queued := e.upload(tn, tn.MemberToken, csvParts("stock.csv", []byte(goodCSV), argsContinue))
			want := cmp.Or(base, e.URL)
			for _, body := range []string{string(res.Body), string(queued.Body)} {
				if strings.Contains(body, "evil.example") || !strings.Contains(body, `"job_status_link":"`+want+"/acme/") {
					t.Errorf("links not under %s: %.400s", want, body)
				}
			}
		})
	}
}

func TestJobStatusNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	c := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	for _, id := range []string{fmt.Sprint(c.JobLogID + 1), "0", "-1", "abc", "1.0", "99999999999999999999999"} {
		t.Run(id, func(t *testing.T) {
			res := e.forT(t).do("GET", "/acme/api/v1/imports/status/"+id, tn.MemberToken, nil)
			wantExactBody(t, res, http.StatusNotFound, map[string]any{"message": "Job not found."})
		})
	}
}

func TestJobList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	var ids []int64
	for i := range 5 {
		c := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", fmt.Sprintf("2024-01-0%d", i+1), 5, "gal"))
		ids = append(ids, c.JobLogID)
	}
	// A job by another user of the tenant is listed too.
	res := e.do("POST", "/acme"+importPath, tn.AdminToken, importBody(true, true, true, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 1, "gal")))
	var imp struct{ Content importContent }
	res.Decode(t, &imp)
	ids = append(ids, imp.Content.JobLogID)

	var got []int64
	index, pages := "", 0
	for {
		p := e.page("/acme/api/v1/imports?per_page=2"+index, tn.MemberToken)
		pages++
		if p.Total != len(ids) || p.PerPage != 2 || p.From == nil || *p.From != len(got)+1 || *p.To != len(got)+len(p.Data) {
			t.Fatalf("page %d: total %d per_page %d from %v to %v", pages, p.Total, p.PerPage, p.From, p.To)
		}
		for _, d := range p.Data {
			got = append(got, int64(d["job_log_id"].(float64)))
			if d["status"] != "completed" || d["type"] != "inventory-import" {
				t.Errorf("job %v", d)
			}
		}
		if p.NextIndex == nil {
			break
		}
		index = "&current_index=" + *p.NextIndex
	}
	if pages != 3 || len(got) != len(ids) {
		t.Fatalf("pages = %d, jobs = %v", pages, got)
	}
	for i := range got {
		if want := ids[len(ids)-1-i]; got[i] != want {
			t.Fatalf("jobs = %v, want newest first %v", got, ids)
		}
	}
	for _, q := range []string{"current_index=garbage", "current_index=djE6eDox", "per_page=0", "per_page=1001", "per_page=x"} {
		wantError(t, e.do("GET", "/acme/api/v1/imports?"+q, tn.MemberToken, nil), http.StatusUnprocessableEntity, "")
	}
}

package http_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vintry/vintry"
)

// jobView is a job as the status endpoint shows it (§5).
type jobView struct {
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
	Log           []string            `json:"log"`
}

func statusPath(tn *tenant, id int64) string {
	return fmt.Sprintf("/%s/api/v1/imports/status/%d", tn.Slug, id)
}

// readJob reads a job through the status endpoint as the tenant's member;
// it must answer 200.
func (e *env) readJob(tn *tenant, id int64) jobView {
	e.t.Helper()
	res := e.do("GET", statusPath(tn, id), tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("job %d: %d %s", id, res.Status, res.Body)
	}
	var out struct {
		Message string
		Content jobView
	}
	res.Decode(e.t, &out)
	if out.Message != "Job status retrieved successfully" || out.Content.JobLogID != id {
		e.t.Fatalf("job %d: %s", id, res.Body)
	}
	return out.Content
}

// statusRank orders job statuses: a job only ever moves to a higher rank.
var statusRank = map[string]int{"pending": 1, "processing": 2, "completed": 3, "completed_with_errors": 3, "failed": 3, "cancelled": 3}

// waitJob polls the status endpoint until the job reaches a terminal status
// and returns it. Along the way it checks that the status never goes back
// and that an unfinished job shows no completion and no result files. It
// fails the test after 20 s.
func (e *env) waitJob(tn *tenant, id int64) jobView {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	rank := 0
	for {
		job := e.readJob(tn, id)
		r, ok := statusRank[job.Status]
		if !ok || r < rank {
			e.t.Fatalf("job %d: status %q after rank %d", id, job.Status, rank)
		}
		rank = r
		if r == 3 {
			return job
		}
		checkUnfinished(e.t, job)
		select {
		case <-ctx.Done():
			e.t.Fatalf("job %d still %s after 20s", id, job.Status)
		case <-tick.C:
		}
	}
}

// checkUnfinished checks a pending or processing job: no completion time
// and no result files yet; a start time and a current step only once it
// is processing.
func checkUnfinished(t *testing.T, job jobView) {
	t.Helper()
	processing := job.Status == "processing"
	if job.Timestamps["completed_at"] != nil || job.Progress.CompletedSteps >= 6 ||
		len(job.Files["staging"])+len(job.Files["output"])+len(job.Files["errors"]) != 0 || len(job.Files["input"]) != 1 {
		t.Fatalf("unfinished job %d shows a result: %+v", job.JobLogID, job)
	}
	if (job.Timestamps["started_at"] != nil) != processing || (processing && job.Progress.CurrentStep == nil) {
		t.Fatalf("%s job %d: started_at %v, current_step %v", job.Status, job.JobLogID, job.Timestamps["started_at"], job.Progress.CurrentStep)
	}
}

// importCSV uploads a file as the tenant's member and waits for its job.
func (e *env) importCSV(tn *tenant, file []byte, arguments string, mappings ...string) jobView {
	e.t.Helper()
	return e.waitJob(tn, e.queueCSV(tn, "inventory.csv", file, arguments, mappings...).JobLogID)
}

// download fetches a job file by its path, as the tenant's member; it must
// answer 200.
func (e *env) download(tn *tenant, path string) []byte {
	e.t.Helper()
	res := e.do("GET", path, tn.MemberToken, nil)
	if res.Status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	return res.Body
}

// jobFile downloads the job's one file of a kind (input, staging, output,
// errors).
func (e *env) jobFile(tn *tenant, job jobView, kind string) []byte {
	e.t.Helper()
	if len(job.Files[kind]) != 1 {
		e.t.Fatalf("job %d files.%s = %v, want one file", job.JobLogID, kind, job.Files[kind])
	}
	return e.download(tn, job.Files[kind][0])
}

// fileRecords parses a downloaded CSV file, header included.
func fileRecords(t *testing.T, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		t.Fatalf("file is not CSV: %v\n%s", err, data)
	}
	return recs
}

// column returns one column of a parsed file's data rows, found by header.
func column(t *testing.T, recs [][]string, name string) []string {
	t.Helper()
	i := -1
	for j, h := range recs[0] {
		if h == name {
			i = j
		}
	}
	if i < 0 {
		t.Fatalf("no column %q in %v", name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

// mixedCSV updates the existing record, creates one, and has a bad row.
const mixedCSV = csvHeader +
	"124,SS-01,FG-GEN-LOT,2024-01-01,6,gal\n" +
	"124,SS-02,FG-GEN-LOT,2024-01-01,7,9LE\n" +
	"Cab 2019,SS-01,FG-GEN-LOT,2024-01-01,1,gal\n"

// TestCSVJobLifecycle takes a CSV job to each terminal status and checks
// the summary, the output file's per-row results and the inventory.
func TestCSVJobLifecycle(t *testing.T) {
	t.Parallel()
	before := map[string]string{invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "5 gal"}
	after := map[string]string{invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01"): "6 gal", invKey("124", "SS-02", "FG-GEN-LOT", "2024-01-01"): "7 9LE"}
	tests := []struct {
		name, file, args string
		status           string
		summary          summary
		results          []string
		stock            map[string]string
	}{
		{"completed", csvHeader + "124,SS-01,FG-GEN-LOT,2024-01-01,6,gal\n124,SS-02,FG-GEN-LOT,2024-01-01,7,9LE\n124,SS-01,FG-GEN-LOT,2024-01-01,6.000,Gallon\n",
			argsAllOrNothing, "completed", summary{Total: 3, Created: 1, Updated: 1, Unchanged: 1},
			[]string{"updated", "created", "unchanged"}, after},
		{"completed_with_errors", mixedCSV, argsContinue, "completed_with_errors", summary{Total: 3, Created: 1, Updated: 1, Failed: 1},
			[]string{"updated", "created", "failed"}, after},
		{"failed", mixedCSV, argsAllOrNothing, "failed", summary{Total: 3, Failed: 1},
			[]string{"not_written", "not_written", "failed"}, before},
		{"dry run", mixedCSV, argsDryRun, "completed_with_errors", summary{Total: 3, Created: 1, Updated: 1, Failed: 1},
			[]string{"updated", "created", "failed"}, before},
	}
	shared := newEnv(t) // each case has a tenant of its own
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := shared.forT(t)
			tn := e.newTenant(fmt.Sprintf("lifecycle-%d", i), true)
			e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
			job := e.importCSV(tn, []byte(tt.file), tt.args)
			if job.Status != tt.status || job.Summary != tt.summary {
				t.Errorf("job = %s %+v, want %s %+v", job.Status, job.Summary, tt.status, tt.summary)
			}
			if job.DryRun != (tt.args == argsDryRun) {
				t.Errorf("dry_run = %v", job.DryRun)
			}
			if got := column(t, fileRecords(t, e.jobFile(tn, job, "output")), "result"); !reflect.DeepEqual(got, tt.results) {
				t.Errorf("output results = %q, want %q", got, tt.results)
			}
			if got := e.stock(tn); !reflect.DeepEqual(got, tt.stock) {
				t.Errorf("inventory = %v, want %v", got, tt.stock)
			}
		})
	}
}

// TestCSVDryRunMatchesRealRun: a dry run reports what the real run then
// does, with the same summary and files, and writes nothing.
func TestCSVDryRunMatchesRealRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	before := e.stock(tn)
	dry := e.importCSV(tn, []byte(mixedCSV), argsDryRun)
	if got := e.stock(tn); !reflect.DeepEqual(got, before) {
		t.Fatalf("a dry run changed the inventory: %v", got)
	}
	real := e.importCSV(tn, []byte(mixedCSV), argsContinue)
	if !dry.DryRun || real.DryRun || dry.Status != real.Status || dry.Summary != real.Summary {
		t.Errorf("dry run %v %s %+v, real run %v %s %+v", dry.DryRun, dry.Status, dry.Summary, real.DryRun, real.Status, real.Summary)
	}
	for _, kind := range []string{"input", "staging", "output", "errors"} {
		if d, r := e.jobFile(tn, dry, kind), e.jobFile(tn, real, kind); string(d) != string(r) {
			t.Errorf("%s file: dry run\n%s\nreal run\n%s", kind, d, r)
		}
	}
	if got := e.stock(tn); reflect.DeepEqual(got, before) {
		t.Errorf("the real run wrote nothing")
	}
}

func TestCSVJobStatusShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	userID, token := e.newUser(tn, "cellar@acme.test", vintry.RoleMember)
	res := e.upload(tn, token, csvParts("inventory.csv", []byte(goodCSV), argsContinue))
	q := wantQueued(t, res)
	link := fmt.Sprintf("%s/acme/settings/application-maintenance/job-management/imports/logs/%d", e.URL, q.JobLogID)
	if q.Status != "pending" || q.Type != "inventory-import" || q.StatusURL != statusPath(tn, q.JobLogID) || q.JobStatusLink != link {
		t.Errorf("202 content = %+v", q)
	}
	job := e.waitJob(tn, q.JobLogID)
	if job.Status != "completed" || job.Type != "inventory-import" || job.Description != "Inventory Import" ||
		job.Summary != (summary{Total: 1, Created: 1}) || job.UserID != userID || job.JobStatusLink != link || job.DryRun {
		t.Errorf("status = %+v", job)
	}
	if p := job.Progress; p.CompletedSteps != 6 || p.TotalSteps != 6 || p.CurrentStep != nil {
		t.Errorf("progress = %+v", p)
	}
	wantFiles := map[string][]string{}
	for kind, suffix := range map[string]string{"input": "untouched", "staging": "staging", "output": "final", "errors": "errors"} {
		wantFiles[kind] = []string{fmt.Sprintf("/acme/download/import-%d_%s.csv", q.JobLogID, suffix)}
	}
	if !reflect.DeepEqual(job.Files, wantFiles) {
		t.Errorf("files = %v, want %v", job.Files, wantFiles)
	}
	var times []time.Time
	for _, key := range []string{"created_at", "started_at", "completed_at"} {
		v := job.Timestamps[key]
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
		t.Errorf("timestamps out of order: %v", job.Timestamps)
	}
	// The raw body: current_step is present and null; the status_url works.
	raw := e.do("GET", q.StatusURL, tn.MemberToken, nil).JSON(t)
	content, _ := raw["content"].(map[string]any)
	if step, ok := content["progress"].(map[string]any)["current_step"]; !ok || step != nil {
		t.Errorf("progress.current_step = %v (present %v), want null", step, ok)
	}
	if fmt.Sprint(content["job_log_id"]) != fmt.Sprint(q.JobLogID) {
		t.Errorf("status_url %s answered %v", q.StatusURL, raw)
	}
}

// TestCSVJobOrder uploads five files that set one record to different
// quantities: whatever the workers do, the jobs apply in acceptance order.
func TestCSVJobOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	var ids []int64
	for i := 1; i <= 5; i++ {
		file := fmt.Sprintf("%s124,SS-01,FG-GEN-LOT,2024-01-01,%d,gal\n", csvHeader, i)
		ids = append(ids, e.queueCSV(tn, fmt.Sprintf("snapshot-%d.csv", i), []byte(file), argsContinue).JobLogID)
	}
	var prevDone time.Time
	for i, id := range ids {
		job := e.waitJob(tn, id)
		want := summary{Total: 1, Updated: 1}
		if i == 0 {
			want = summary{Total: 1, Created: 1}
		}
		if job.Status != "completed" || job.Summary != want {
			t.Errorf("job %d (upload %d) = %s %+v, want %+v", id, i+1, job.Status, job.Summary, want)
		}
		started, _ := time.Parse(time.RFC3339, *job.Timestamps["started_at"])
		if started.Before(prevDone) {
			t.Errorf("job %d started %v, before the previous job completed (%v)", id, started, prevDone)
		}
		prevDone, _ = time.Parse(time.RFC3339, *job.Timestamps["completed_at"])
	}
	inv := e.inventory(tn, "")
	if len(inv) != 1 || inv[0]["quantity"] != "5" || fmt.Sprint(inv[0]["last_job_log_id"]) != fmt.Sprint(ids[4]) {
		t.Fatalf("inventory = %v, want quantity 5 from job %d", inv, ids[4])
	}
}

func TestCSVJobIdempotentUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	other := e.newTenant("other", true)
	key := "Idempotency-Key: nightly-2024-01-01"
	first := wantQueued(t, e.upload(tn, tn.MemberToken, csvParts("inv.csv", []byte(goodCSV), argsContinue), key))
	same := func(t *testing.T) {
		t.Helper()
		// A new multipart body (fresh boundary) with the same content.
		again := wantQueued(t, e.forT(t).upload(tn, tn.MemberToken, csvParts("inv.csv", []byte(goodCSV), argsContinue), key))
		if again.JobLogID != first.JobLogID {
			t.Errorf("replay made job %d, want %d", again.JobLogID, first.JobLogID)
		}
	}
	t.Run("replay while queued", same)
	e.waitJob(tn, first.JobLogID)
	t.Run("replay after completion", same)
	for _, tt := range []struct {
		name  string
		parts []formPart
	}{
		{"different file", csvParts("inv.csv", []byte(goodCSV+"124,SS-02,FG-GEN-LOT,2024-01-01,5,gal\n"), argsContinue)},
		{"different arguments", csvParts("inv.csv", []byte(goodCSV), argsAllOrNothing)},
		{"different file name", csvParts("other.csv", []byte(goodCSV), argsContinue)},
		{"field_mappings added", csvParts("inv.csv", []byte(goodCSV), argsContinue, `{"item_name":"item_name"}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.forT(t).upload(tn, tn.MemberToken, tt.parts, key)
			wantError(t, res, http.StatusUnprocessableEntity, "Idempotency key was already used with a different request")
		})
	}
	if n := e.jobCount(tn); n != 1 {
		t.Fatalf("%d jobs after replays, want 1", n)
	}
	if got := e.stock(tn); len(got) != 1 || got[invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")] != "5 gal" {
		t.Errorf("inventory = %v", got)
	}
	t.Run("concurrent replays", func(t *testing.T) {
		ct, body := multipartBody(t, csvParts("concurrent.csv", []byte(goodCSV), argsContinue)...)
		headers := []string{"Content-Type: " + ct, "Idempotency-Key: concurrent"}
		type result struct {
			res *response
			err error
		}
		results := make(chan result, 5)
		for range 5 {
			go func() {
				res, err := e.send("POST", processPath(tn), tn.MemberToken, body, headers...)
				results <- result{res, err}
			}()
		}
		ids := map[int64]bool{}
		for range 5 {
			r := <-results
			if r.err != nil {
				t.Fatal(r.err)
			}
			ids[wantQueued(t, r.res).JobLogID] = true
		}
		if len(ids) != 1 {
			t.Errorf("5 identical uploads with one key made jobs %v, want one", ids)
		}
		for id := range ids {
			e.forT(t).waitJob(tn, id)
		}
	})
	t.Run("the key of a JSON import", func(t *testing.T) {
		e := e.forT(t)
		jsonKey := "Idempotency-Key: json-2024-01-01"
		e.importJSON(tn, importBody(true, true, true, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", 5, "gal")), jsonKey)
		res := e.upload(tn, tn.MemberToken, csvParts("inv.csv", []byte(goodCSV), argsContinue), jsonKey)
		wantError(t, res, http.StatusUnprocessableEntity, "Idempotency key was already used with a different request")
	})
	t.Run("another key is another job", func(t *testing.T) {
		q := wantQueued(t, e.forT(t).upload(tn, tn.MemberToken, csvParts("inv.csv", []byte(goodCSV), argsContinue), "Idempotency-Key: other"))
		if q.JobLogID == first.JobLogID {
			t.Errorf("a new key replayed job %d", q.JobLogID)
		}
	})
	t.Run("the same key in another tenant", func(t *testing.T) {
		q := wantQueued(t, e.forT(t).upload(other, other.MemberToken, csvParts("inv.csv", []byte(goodCSV), argsContinue), key))
		if q.JobLogID == first.JobLogID || e.forT(t).jobCount(other) != 1 {
			t.Errorf("other tenant got job %d", q.JobLogID)
		}
	})
}

// TestCSVJobList lists CSV and JSON jobs together, newest first, two per
// page, each once, and none of another tenant's.
func TestCSVJobList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	other := e.newTenant("other", true)
	otherJob := e.queueCSV(other, "o.csv", []byte(goodCSV), argsContinue).JobLogID
	var ids []int64
	for i := range 5 {
		if i%2 == 0 {
			file := fmt.Sprintf("%s124,SS-01,FG-GEN-LOT,2024-01-0%d,5,gal\n", csvHeader, i+1)
			ids = append(ids, e.queueCSV(tn, "inv.csv", []byte(file), argsContinue).JobLogID)
		} else {
			ids = append(ids, e.mustImport(tn, rec("124", "SS-02", "FG-GEN-LOT", fmt.Sprintf("2024-01-0%d", i+1), 5, "gal")).JobLogID)
		}
	}
	var got []int64
	seen := map[int64]bool{}
	index := ""
	for pages := 1; ; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages: %v", got)
		}
		p := e.page("/acme/api/v1/imports?per_page=2"+index, tn.MemberToken)
		if p.Total != 5 || p.PerPage != 2 || len(p.Data) == 0 || len(p.Data) > 2 {
			t.Fatalf("page %d: total %d per_page %d, %d jobs", pages, p.Total, p.PerPage, len(p.Data))
		}
		for _, d := range p.Data {
			id := int64(d["job_log_id"].(float64))
			if seen[id] || id == otherJob {
				t.Fatalf("job %d listed twice or from another tenant: %v", id, got)
			}
			seen[id] = true
			got = append(got, id)
			if d["type"] != "inventory-import" || d["files"] == nil || d["status"] == nil {
				t.Errorf("listed job %v", d)
			}
		}
		if p.NextIndex == nil {
			break
		}
		index = "&current_index=" + *p.NextIndex
	}
	want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("jobs = %v, want newest first %v", got, want)
	}
	for _, id := range ids {
		e.waitJob(tn, id)
	}
}

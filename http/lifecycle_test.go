package http_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vintry/vintry"
	vhttp "github.com/vintry/vintry/http"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/sqlite"
)

// revertView is the answer to a revert.
type revertView struct {
	Message string  `json:"message"`
	Content jobView `json:"content"`
	Revert  struct {
		RevertsJobLogID int64            `json:"reverts_job_log_id"`
		Deleted         int              `json:"deleted"`
		Restored        int              `json:"restored"`
		Recreated       int              `json:"recreated"`
		Unchanged       int              `json:"unchanged"`
		Conflicts       []revertConflict `json:"conflicts"`
	} `json:"revert"`
}

type revertConflict struct {
	RecordID   int64  `json:"record_id"`
	ItemName   string `json:"item_name"`
	BinName    string `json:"bin_name"`
	LotName    string `json:"lot_name"`
	DateFilled string `json:"date_filled"`
	ChangedBy  *int64 `json:"changed_by_job_log_id"`
	Change     string `json:"change"`
}

func revertPath(tn *tenant, id int64) string {
	return fmt.Sprintf("/%s/api/v1/imports/%d/revert", tn.Slug, id)
}

func cancelPath(tn *tenant, id int64) string {
	return fmt.Sprintf("/%s/api/v1/imports/%d/cancel", tn.Slug, id)
}

// revert reverts a job as the tenant's admin; it must answer 200.
func (e *env) revert(tn *tenant, id int64, body any) revertView {
	e.t.Helper()
	res := e.do("POST", revertPath(tn, id), tn.AdminToken, body)
	if res.Status != http.StatusOK {
		e.t.Fatalf("revert %d: %d %s", id, res.Status, res.Body)
	}
	var out revertView
	res.Decode(e.t, &out)
	if out.Content.Type != "inventory-import-revert" || out.Revert.RevertsJobLogID != id {
		e.t.Fatalf("revert %d: %s", id, res.Body)
	}
	return out
}

// conflictError is a 409 of a revert refused for conflicts.
type conflictError struct {
	Message string `json:"message"`
	Content struct {
		Conflicts []revertConflict `json:"conflicts"`
	} `json:"content"`
}

// snapshot is the tenant's whole inventory: by record id, the key, quantity,
// UOM and creation time of each record.
func (e *env) snapshot(tn *tenant) map[int64]string {
	e.t.Helper()
	out := map[int64]string{}
	for _, r := range e.inventory(tn, "") {
		out[int64(r["id"].(float64))] = fmt.Sprintf("%s|%s|%s|%s %s %s created %s", r["item_name"], r["bin_name"], r["lot_name"],
			r["date_filled"], r["quantity"], r["uom_name"], r["created_at"])
	}
	return out
}

func (e *env) wantSnapshot(tn *tenant, want map[int64]string, when string) {
	e.t.Helper()
	if got := e.snapshot(tn); !reflect.DeepEqual(got, want) {
		e.t.Fatalf("%s: inventory\n%v\nwant\n%v", when, got, want)
	}
}

// TestRevertRestoresInventoryExactly imports the wrong file, reverts it, and
// finds the inventory exactly as before; then reverts the revert (the wrong
// file's state again) and that revert too.
func TestRevertRestoresInventoryExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "7", "gal"))
	a := e.importCSV(tn, []byte(csvHeader+
		"124,SS-01,FG-GEN-LOT,2024-01-01,6,gal\n"+ // update
		"CAB 2019,SS-03,FG-GEN-LOT,2024-02-01,10,9LE\n"+ // create
		"ZAMNVCAS19,BBL-117,RM19CASRUT.ZAM,2019-10-01,59.25,Gallon\n"), argsAllOrNothing)
	if a.Status != "completed" || a.Summary != (summary{Total: 3, Created: 2, Updated: 1}) {
		t.Fatalf("import A: %+v", a)
	}
	before := e.snapshot(tn)

	b := e.importCSV(tn, []byte(csvHeader+
		"124,SS-01,FG-GEN-LOT,2024-01-01,600,9LE\n"+ // update of a record A updated
		"CAB 2019,SS-03,FG-GEN-LOT,2024-02-01,10.5,9LE\n"+ // update of a record A created
		"124,SS-02,FG-GEN-LOT,2024-01-01,7,gal\n"+ // unchanged
		"Rosé 2022,FG-GEN-BIN,FG-GEN-LOT,2023-03-03,12,9LE\n"+ // create
		"122-16,SS-03,RM20CASRUT.ZAM,2020-11-11,0.5,gal\n"), argsContinue) // create
	if b.Status != "completed" || b.Summary != (summary{Total: 5, Created: 2, Updated: 2, Unchanged: 1}) {
		t.Fatalf("import B: %+v", b)
	}
	afterB := e.snapshot(tn)

	r := e.revert(tn, b.JobLogID, nil)
	if r.Message != fmt.Sprintf("Import job %d reverted", b.JobLogID) || r.Content.Status != "completed" ||
		r.Revert.Deleted != 2 || r.Revert.Restored != 2 || r.Revert.Recreated != 0 || len(r.Revert.Conflicts) != 0 {
		t.Fatalf("revert B: %+v", r)
	}
	e.wantSnapshot(tn, before, "after the revert of B")
	if job := e.readJob(tn, r.Content.JobLogID); job.Type != "inventory-import-revert" || job.Status != "completed" ||
		job.Summary != (summary{Total: 4, Updated: 2}) || job.Description != "Inventory Import Revert" {
		t.Errorf("revert job: %+v", job)
	}
	output := fileRecords(t, e.jobFile(tn, r.Content, "output"))
	if got := column(t, output, "result"); !slices.Equal(got, []string{"reverted", "reverted", "reverted", "reverted"}) {
		t.Errorf("revert output results = %v", got)
	}
	if got := column(t, output, "action"); !slices.Equal(got, []string{"update", "update", "delete", "delete"}) {
		t.Errorf("revert output actions = %v\n%v", got, output)
	}
	if errs := fileRecords(t, e.jobFile(tn, r.Content, "errors")); len(errs) != 1 {
		t.Errorf("revert errors file: %v", errs)
	}
	e.jobFile(tn, r.Content, "input")
	e.jobFile(tn, r.Content, "staging")
	res := e.do("GET", statusPath(tn, b.JobLogID), tn.MemberToken, nil)
	if !strings.Contains(string(res.Body), fmt.Sprintf(`"reverted_by_job_log_id":%d`, r.Content.JobLogID)) {
		t.Errorf("job B does not name its revert: %s", res.Body)
	}

	// Reverting the revert brings B's state back, records under their ids.
	rr := e.revert(tn, r.Content.JobLogID, `{}`)
	if rr.Revert.Recreated != 2 || rr.Revert.Restored != 2 || rr.Revert.Deleted != 0 {
		t.Fatalf("revert of the revert: %+v", rr.Revert)
	}
	e.wantSnapshot(tn, afterB, "after the revert of the revert")
	rrr := e.revert(tn, rr.Content.JobLogID, nil)
	if rrr.Revert.Deleted != 2 || rrr.Revert.Restored != 2 {
		t.Fatalf("third revert: %+v", rrr.Revert)
	}
	e.wantSnapshot(tn, before, "after the third revert")

	wantError(t, e.do("POST", revertPath(tn, b.JobLogID), tn.AdminToken, nil), http.StatusConflict,
		fmt.Sprintf("This import was already reverted by job %d.", r.Content.JobLogID))
	wantError(t, e.do("POST", revertPath(tn, r.Content.JobLogID), tn.AdminToken, nil), http.StatusConflict,
		fmt.Sprintf("This import was already reverted by job %d.", rr.Content.JobLogID))

	// History tells the whole story of a record B created.
	var rose int64
	for id, s := range afterB {
		if strings.HasPrefix(s, "Rosé 2022|") {
			rose = id
		}
	}
	var got []string
	for _, ev := range e.history(tn, fmt.Sprintf("/acme/api/v1/inventory/%d/history", rose)) {
		got = append(got, eventText(ev))
	}
	want := []string{
		fmt.Sprintf("created %d 12 9LE Case <- <nil> <nil>", b.JobLogID),
		fmt.Sprintf("deleted %d <nil> <nil> <- 12 9LE Case", r.Content.JobLogID),
		fmt.Sprintf("restored %d 12 9LE Case <- <nil> <nil>", rr.Content.JobLogID),
		fmt.Sprintf("deleted %d <nil> <nil> <- 12 9LE Case", rrr.Content.JobLogID),
	}
	if !slices.Equal(got, want) {
		t.Errorf("history of the record B created:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for _, ev := range e.history(tn, keyHistoryPath(tn, "124", "SS-01", "FG-GEN-LOT", "2024-01-01")) {
		got = append(got, eventText(ev))
	}
	if n := len(got); n != 6 || got[n-1] != fmt.Sprintf("updated %d 6 Gallon <- 600 9LE Case", rrr.Content.JobLogID) {
		t.Errorf("history of a record B updated:\n%s", strings.Join(got, "\n"))
	}
}

// TestRevertConflicts reverts a job whose records were changed later: by a
// batch delete, by a later import; refused by default, partial with
// skip_conflicts, complete with force.
func TestRevertConflicts(t *testing.T) {
	t.Parallel()
	shared := newEnv(t)
	x := rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal")
	y := rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "6", "gal")
	z := rec("CAB 2019", "SS-03", "FG-GEN-LOT", "2024-01-01", "7", "9LE")
	// setup: z exists; job J creates x and y and updates z; returns J's id.
	setup := func(e *env, tn *tenant) int64 {
		e.mustImport(tn, z)
		z2 := rec("CAB 2019", "SS-03", "FG-GEN-LOT", "2024-01-01", "8", "9LE")
		return e.mustImport(tn, x, y, z2).JobLogID
	}
	tests := []struct {
		name   string
		change func(e *env, tn *tenant) (changedBy *int64, change string)
	}{
		{"batch delete of a created record", func(e *env, tn *tenant) (*int64, string) {
			res := e.do("POST", "/"+tn.Slug+"/api/v1/inventory/batch-delete", tn.MemberToken, `{"rows":[{"item":"124","bin":"SS-01"}]}`)
			if res.Status != http.StatusOK {
				e.t.Fatalf("delete: %d %s", res.Status, res.Body)
			}
			return nil, "deleted"
		}},
		{"later import updates a created record", func(e *env, tn *tenant) (*int64, string) {
			id := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "50", "gal")).JobLogID
			return &id, "updated"
		}},
	}
	for i, tt := range tests {
		for _, mode := range []string{"default", "skip_conflicts", "force"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				e := shared.forT(t)
				tn := e.newTenant(fmt.Sprintf("conflict-%d-%s", i, strings.ReplaceAll(mode, "_", "-")), true)
				job := setup(e, tn)
				changedBy, change := tt.change(e, tn)
				before, jobs := e.snapshot(tn), e.jobCount(tn)
				switch mode {
				case "default":
					var body conflictError
					wantError(t, e.do("POST", revertPath(tn, job), tn.AdminToken, nil), http.StatusConflict,
						"The import cannot be reverted: 1 record was changed after it.")
					e.do("POST", revertPath(tn, job), tn.AdminToken, nil).Decode(t, &body)
					c := body.Content.Conflicts
					if len(c) != 1 || c[0].ItemName != "124" || c[0].BinName != "SS-01" || c[0].Change != change ||
						!reflect.DeepEqual(c[0].ChangedBy, changedBy) || c[0].DateFilled != "2024-01-01" {
						t.Errorf("conflicts = %+v", c)
					}
					e.wantSnapshot(tn, before, "after a refused revert")
					if n := e.jobCount(tn); n != jobs {
						t.Errorf("a refused revert made a job: %d jobs, want %d", n, jobs)
					}
				case "skip_conflicts":
					r := e.revert(tn, job, `{"force":false,"skip_conflicts":true}`)
					if r.Content.Status != "completed_with_errors" || len(r.Revert.Conflicts) != 1 || r.Revert.Deleted != 1 ||
						r.Revert.Restored != 1 || r.Content.Summary.Failed != 1 {
						t.Fatalf("revert: %+v", r)
					}
					wantStock := map[string]string{invKey("CAB 2019", "SS-03", "FG-GEN-LOT", "2024-01-01"): "7 9LE"}
					if change == "updated" {
						wantStock[invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01")] = "50 gal"
					}
					if got := e.stock(tn); !reflect.DeepEqual(got, wantStock) {
						t.Errorf("stock = %v, want %v", got, wantStock)
					}
					errs := fileRecords(t, e.jobFile(tn, r.Content, "errors"))
					if len(errs) != 2 || !strings.Contains(errs[1][3], "later by") {
						t.Errorf("errors file: %v", errs)
					}
				case "force":
					r := e.revert(tn, job, `{"force":true}`)
					if r.Content.Status != "completed" || len(r.Revert.Conflicts) != 1 {
						t.Fatalf("revert: %+v", r)
					}
					want := map[string]string{invKey("CAB 2019", "SS-03", "FG-GEN-LOT", "2024-01-01"): "7 9LE"}
					if got := e.stock(tn); !reflect.DeepEqual(got, want) {
						t.Errorf("stock = %v, want %v", got, want)
					}
				}
			})
		}
	}
}

// TestRevertRefused covers the jobs that cannot be reverted and who may not
// revert.
func TestRevertRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *jobs.Config) { c.Workers = 0 }) // queued jobs stay pending
	tn := e.newTenant("acme", true)
	other := e.newTenant("other", true)
	done := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"))
	failed := e.importJSON(tn, importBody(true, true, false, rec("NOPE", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal")))
	dry := e.importJSON(tn, map[string]any{"source": "api", "arguments": map[string]any{"allow_record_creation": true,
		"allow_record_update": true, "should_continue_on_error": true, "dry_run": true},
		"payload": []any{rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "5", "gal")}})
	pending := e.queueCSV(tn, "inventory.csv", []byte(goodCSV), argsContinue)
	cancelled := e.queueCSV(tn, "inventory.csv", []byte(goodCSV), argsContinue)
	if res := e.do("POST", cancelPath(tn, cancelled.JobLogID), tn.MemberToken, nil); res.Status != http.StatusOK {
		t.Fatalf("cancel: %d %s", res.Status, res.Body)
	}
	before := e.snapshot(tn)
	for _, tt := range []struct {
		name   string
		token  string
		id     int64
		status int
		msg    string
	}{
		{"failed", tn.AdminToken, failed.Content.JobLogID, 409, "The import failed and changed nothing."},
		{"dry run", tn.AdminToken, dry.Content.JobLogID, 409, "The import was a dry run and changed nothing."},
		{"pending", tn.AdminToken, pending.JobLogID, 409, "The import has not finished yet."},
		{"cancelled", tn.AdminToken, cancelled.JobLogID, 409, "The import was cancelled and changed nothing."},
		{"member", tn.MemberToken, done.JobLogID, 403, "This action is unauthorized."},
		{"unknown job", tn.AdminToken, 999999, 404, "Job not found."},
		{"bad body", tn.AdminToken, done.JobLogID, 422, "The force field must be a boolean."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.name == "bad body" {
				body = `{"force":"true"}`
			}
			wantError(t, e.do("POST", revertPath(tn, tt.id), tt.token, body), tt.status, tt.msg)
		})
	}
	// Another tenant's admin cannot see the job, let alone revert it.
	wantError(t, e.do("POST", revertPath(other, done.JobLogID), other.AdminToken, nil), 404, "Job not found.")
	e.wantSnapshot(tn, before, "after refused reverts")
}

// holdHook holds queued jobs before their apply transaction while hold is
// set, and reports each job a worker finished.
type holdHook struct {
	mu       sync.Mutex
	hold     bool
	started  chan int64
	release  chan struct{}
	finished chan int64
}

func newHoldHook() *holdHook {
	return &holdHook{started: make(chan int64, 16), release: make(chan struct{}), finished: make(chan int64, 64)}
}

func (h *holdHook) configure(c *jobs.Config) {
	c.BeforeApply = func(ctx context.Context, id int64) {
		h.mu.Lock()
		hold := h.hold
		h.mu.Unlock()
		if hold {
			h.started <- id
			select {
			case <-h.release:
			case <-ctx.Done():
			}
		}
	}
	c.Finished = func(j *vintry.ImportJob) { h.finished <- j.ID }
}

func (h *holdHook) setHold(v bool) {
	h.mu.Lock()
	h.hold = v
	h.mu.Unlock()
}

func receive(t *testing.T, ch chan int64, what string) int64 {
	t.Helper()
	select {
	case id := <-ch:
		return id
	case <-time.After(20 * time.Second):
		t.Fatalf("no %s after 20s", what)
		return 0
	}
}

// TestCancelPendingAndProcessing cancels a job held before its apply
// transaction (processing) and one waiting behind it (pending): neither
// writes anything, and a later job of the tenant runs.
func TestCancelPendingAndProcessing(t *testing.T) {
	t.Parallel()
	hook := newHoldHook()
	e := newEnv(t, hook.configure)
	tn := e.newTenant("acme", true)
	jsonJob := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"))
	before := e.snapshot(tn)

	hook.setHold(true)
	running := e.queueCSV(tn, "a.csv", []byte(csvHeader+"124,SS-01,FG-GEN-LOT,2024-01-01,9,gal\n"), argsContinue)
	if id := receive(t, hook.started, "held job"); id != running.JobLogID {
		t.Fatalf("held job %d, want %d", id, running.JobLogID)
	}
	hook.setHold(false)
	waiting := e.queueCSV(tn, "b.csv", []byte(csvHeader+"124,SS-02,FG-GEN-LOT,2024-01-01,9,gal\n"), argsContinue)
	if job := e.readJob(tn, running.JobLogID); job.Status != "processing" || job.Progress.CompletedSteps != 4 {
		t.Fatalf("held job: %+v", job)
	}
	if job := e.readJob(tn, waiting.JobLogID); job.Status != "pending" {
		t.Fatalf("waiting job: %+v", job)
	}
	for _, id := range []int64{waiting.JobLogID, running.JobLogID} {
		res := e.do("POST", cancelPath(tn, id), tn.MemberToken, nil)
		var out struct {
			Message string
			Content jobView
		}
		res.Decode(t, &out)
		if res.Status != http.StatusOK || out.Message != "Import job cancelled" || out.Content.Status != "cancelled" ||
			out.Content.Timestamps["completed_at"] == nil || len(out.Content.Files["input"]) != 1 || len(out.Content.Files["output"]) != 0 {
			t.Fatalf("cancel %d: %d %s", id, res.Status, res.Body)
		}
		wantError(t, e.do("POST", cancelPath(tn, id), tn.MemberToken, nil), http.StatusConflict, "The import was already cancelled.")
	}
	close(hook.release) // the held worker goes on to its apply transaction
	if id := receive(t, hook.finished, "finished job"); id != running.JobLogID {
		t.Fatalf("finished %d, want %d", id, running.JobLogID)
	}
	for _, id := range []int64{waiting.JobLogID, running.JobLogID} {
		if job := e.readJob(tn, id); job.Status != "cancelled" || len(job.Files["output"]) != 0 {
			t.Errorf("job %d after the worker: %+v", id, job)
		}
	}
	e.wantSnapshot(tn, before, "after cancelled jobs")

	later := e.importCSV(tn, []byte(csvHeader+"124,SS-03,FG-GEN-LOT,2024-01-01,1,gal\n"), argsContinue)
	if later.Status != "completed" {
		t.Fatalf("a later job: %+v", later)
	}
	wantError(t, e.do("POST", cancelPath(tn, later.JobLogID), tn.MemberToken, nil), http.StatusConflict, "The import has already finished.")
	wantError(t, e.do("POST", cancelPath(tn, jsonJob.JobLogID), tn.MemberToken, nil), http.StatusConflict, "The import has already finished.")
	other := e.newTenant("other", true)
	wantError(t, e.do("POST", cancelPath(other, later.JobLogID), other.MemberToken, nil), http.StatusNotFound, "Job not found.")
}

// TestCancelRace cancels jobs at every moment of their run — queued, picked
// up, just before and during the apply transaction (held open by the fault
// delay) — and checks that each ends one way or the other, never half: a
// cancelled job wrote nothing and has no result files; a job whose cancel
// was refused completed and applied its row once.
func TestCancelRace(t *testing.T) {
	t.Parallel()
	applying := make(chan int64, 64)
	e := newEnv(t,
		func(c *jobs.Config) { c.BeforeApply = func(_ context.Context, id int64) { applying <- id } },
		func(db *sqlite.DB) { db.FaultApplyDelay = 20 * time.Millisecond })
	tn := e.newTenant("acme", true)
	const n = 16
	outcomes := map[string]int{}
	for i := range n {
		date := time.Date(2020, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
		job := e.queueCSV(tn, "race.csv", []byte(csvHeader+"124,SS-01,FG-GEN-LOT,"+date+",3,gal\n"), argsContinue)
		if i%2 == 1 { // cancel once the worker is about to apply (or applying)
			for id := receive(t, applying, "apply"); id != job.JobLogID; id = receive(t, applying, "apply") {
			}
		}
		res := e.do("POST", cancelPath(tn, job.JobLogID), tn.MemberToken, nil)
		final := e.waitJob(tn, job.JobLogID)
		stock := e.stock(tn)[invKey("124", "SS-01", "FG-GEN-LOT", date)]
		switch {
		case res.Status == http.StatusOK && final.Status == "cancelled" && stock == "" && len(final.Files["output"]) == 0:
			outcomes["cancelled"]++
		case res.Status == http.StatusConflict && final.Status == "completed" && stock == "3 gal" && final.Summary.Created == 1:
			outcomes["completed"]++
		default:
			t.Fatalf("job %d: cancel %d %s; job %s, stock %q, files %v", job.JobLogID, res.Status, res.Body, final.Status, stock, final.Files)
		}
	}
	// A last job runs after every earlier one (FIFO), so no cancelled job
	// can still write: the inventory holds exactly the completed jobs' rows.
	e.importCSV(tn, []byte(csvHeader+"124,SS-02,FG-GEN-LOT,2019-01-01,1,gal\n"), argsContinue)
	if got := len(e.stock(tn)); got != outcomes["completed"]+1 {
		t.Errorf("%d records, want %d (outcomes %v)", got, outcomes["completed"]+1, outcomes)
	}
	t.Logf("outcomes: %v", outcomes)
}

// TestRevertKeyTakenLater reverts a revert that deleted a record whose key
// a later import used again: a conflict; forced, the later record gives
// way to the old one under its id; reverting that brings the later one back.
func TestRevertKeyTakenLater(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	a := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"))
	withA := e.snapshot(tn)
	undoA := e.revert(tn, a.JobLogID, nil)
	b := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "9", "9LE"))
	withB := e.snapshot(tn)

	var body conflictError
	res := e.do("POST", revertPath(tn, undoA.Content.JobLogID), tn.AdminToken, nil)
	wantError(t, res, http.StatusConflict, "The import cannot be reverted: 1 record was changed after it.")
	res.Decode(t, &body)
	if c := body.Content.Conflicts; len(c) != 1 || c[0].Change != "created" || c[0].ChangedBy == nil || *c[0].ChangedBy != b.JobLogID {
		t.Fatalf("conflicts = %+v", c)
	}
	forced := e.revert(tn, undoA.Content.JobLogID, `{"force":true}`)
	if forced.Revert.Recreated != 1 || forced.Revert.Deleted != 1 {
		t.Fatalf("forced revert: %+v", forced.Revert)
	}
	e.wantSnapshot(tn, withA, "after the forced revert")
	e.revert(tn, forced.Content.JobLogID, nil)
	e.wantSnapshot(tn, withB, "after reverting the forced revert")
}

// TestRevertInChunks reverts a job of 50 records, more than a revert plans
// and writes at once (7 here, RevertChunk): conflicts found in later chunks refuse the
// revert with all of them and change nothing; with skip_conflicts every
// other record is reverted exactly, and the job and its files count every
// record once.
func TestRevertInChunks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(db *sqlite.DB) { db.RevertChunk = 7 })
	tn := e.newTenant("chunks", true)
	day := func(i int) string {
		return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.DateOnly)
	}
	var a, b []map[string]any
	for i := range 50 {
		if i < 25 {
			a = append(a, rec("124", "SS-01", "FG-GEN-LOT", day(i), "5", "gal"))
		}
		b = append(b, rec("124", "SS-01", "FG-GEN-LOT", day(i), "6", "gal"))
	}
	e.mustImport(tn, a...)
	before := e.snapshot(tn)
	jobB := e.mustImport(tn, b...)
	if jobB.Summary != (summary{Total: 50, Created: 25, Updated: 25}) {
		t.Fatalf("import B: %+v", jobB.Summary)
	}
	// Later changes, in the second and the seventh chunk of B's records.
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", day(10), "9", "gal"))
	res := e.do("POST", "/"+tn.Slug+"/api/v1/inventory/batch-delete", tn.MemberToken,
		fmt.Sprintf(`{"rows":[{"item":"124","bin":"SS-01","lot":"FG-GEN-LOT","date_filled":%q}]}`, day(45)))
	if res.Status != http.StatusOK {
		t.Fatalf("batch delete: %d %s", res.Status, res.Body)
	}
	changed := e.snapshot(tn)

	res = e.do("POST", revertPath(tn, jobB.JobLogID), tn.AdminToken, nil)
	var refused conflictError
	wantError(t, res, http.StatusConflict, "The import cannot be reverted: 2 records were changed after it.")
	res.Decode(t, &refused)
	var dates []string
	for _, c := range refused.Content.Conflicts {
		dates = append(dates, c.DateFilled+" "+c.Change)
	}
	if !slices.Equal(dates, []string{day(10) + " updated", day(45) + " deleted"}) {
		t.Errorf("conflicts = %v", dates)
	}
	e.wantSnapshot(tn, changed, "after the refused revert")

	r := e.revert(tn, jobB.JobLogID, `{"skip_conflicts":true}`)
	if r.Revert.Deleted != 24 || r.Revert.Restored != 24 || r.Revert.Recreated != 0 || len(r.Revert.Conflicts) != 2 ||
		r.Content.Status != "completed_with_errors" {
		t.Fatalf("revert: %+v, status %s", r.Revert, r.Content.Status)
	}
	want := map[int64]string{}
	for id, s := range before {
		want[id] = s
		if strings.Contains(s, day(10)+" ") {
			want[id] = changed[id] // the conflict left as it is
		}
	}
	e.wantSnapshot(tn, want, "after the revert")
	job := e.readJob(tn, r.Content.JobLogID)
	if job.Summary != (summary{Total: 50, Updated: 24, Failed: 2}) {
		t.Errorf("revert job: %+v", job.Summary)
	}
	output := fileRecords(t, e.jobFile(tn, r.Content, "output"))
	if len(output) != 51 {
		t.Fatalf("output file has %d lines, want 51", len(output))
	}
	lines := column(t, output, "line")
	if lines[0] != "2" || lines[49] != "51" {
		t.Errorf("output lines run %s..%s", lines[0], lines[49])
	}
	if errs := fileRecords(t, e.jobFile(tn, r.Content, "errors")); len(errs) != 3 {
		t.Errorf("errors file has %d lines, want 3", len(errs))
	}
}

// waitRevert polls a queued revert job until it has finished.
func (e *env) waitRevert(tn *tenant, id int64) jobView {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		job := e.readJob(tn, id)
		if job.Status != "pending" && job.Status != "processing" {
			return job
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("revert job %d still %s after 20s", id, job.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// queueRevert posts a revert that must be queued (202).
func (e *env) queueRevert(tn *tenant, id int64, body any) jobView {
	e.t.Helper()
	res := e.do("POST", revertPath(tn, id), tn.AdminToken, body)
	if res.Status != http.StatusAccepted {
		e.t.Fatalf("revert %d: %d %s, want 202", id, res.Status, res.Body)
	}
	var out struct {
		Message string  `json:"message"`
		Content jobView `json:"content"`
	}
	res.Decode(e.t, &out)
	if out.Message != fmt.Sprintf("Import job %d revert queued", id) || out.Content.Type != "inventory-import-revert" ||
		out.Content.Status != "pending" {
		e.t.Fatalf("queued revert of %d: %s", id, res.Body)
	}
	return out.Content
}

// TestQueuedRevert: a job of more rows than the server reverts within one
// request is reverted by a worker: 202 with the pending revert job, which
// ends as the revert made at once would; a second revert is refused from
// the start. A queued revert that meets conflicts fails, changes nothing,
// lists them, and leaves the job revertable again.
func TestQueuedRevert(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *vhttp.Config) { c.RevertSyncLimit = 2 })
	tn := e.newTenant("queued", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"))
	before := e.snapshot(tn)
	b := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "6", "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "7", "gal"), rec("124", "SS-03", "FG-GEN-LOT", "2024-01-01", "8", "gal"))
	afterB := e.snapshot(tn)

	queued := e.queueRevert(tn, b.JobLogID, nil)
	wantError(t, e.do("POST", revertPath(tn, b.JobLogID), tn.AdminToken, nil), http.StatusConflict,
		fmt.Sprintf("This import was already reverted by job %d.", queued.JobLogID))
	done := e.waitRevert(tn, queued.JobLogID)
	if done.Status != "completed" || done.Summary != (summary{Total: 3, Updated: 1}) {
		t.Fatalf("queued revert: %+v", done)
	}
	e.wantSnapshot(tn, before, "after the queued revert")
	if output := fileRecords(t, e.jobFile(tn, done, "output")); len(output) != 4 {
		t.Errorf("output file: %v", output)
	}
	if len(queued.Files["input"]) != 0 {
		t.Errorf("a pending revert lists files: %v", queued.Files)
	}
	if again := e.waitRevert(tn, e.queueRevert(tn, done.JobLogID, nil).JobLogID); again.Summary != (summary{Total: 3, Created: 2, Updated: 1}) {
		t.Fatalf("revert of the queued revert: %+v", again)
	}
	e.wantSnapshot(tn, afterB, "after the revert of the queued revert")

	c := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "10", "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "11", "gal"), rec("124", "FG-GEN-BIN", "FG-GEN-LOT", "2024-01-01", "12", "gal"))
	e.mustImport(tn, rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "13", "gal"))
	changed := e.snapshot(tn)
	failed := e.waitRevert(tn, e.queueRevert(tn, c.JobLogID, nil).JobLogID)
	if failed.Status != "failed" || failed.Summary != (summary{Total: 1, Failed: 1}) ||
		!slices.Contains(failed.Log, "The import cannot be reverted: 1 record was changed after it. Nothing was changed.") {
		t.Fatalf("conflicting queued revert: %+v", failed)
	}
	res := e.do("GET", statusPath(tn, failed.JobLogID), tn.MemberToken, nil)
	if !strings.Contains(string(res.Body), "The record was updated later by job") {
		t.Errorf("the failed revert does not list its conflict: %s", res.Body)
	}
	e.wantSnapshot(tn, changed, "after the failed queued revert")
	skipped := e.waitRevert(tn, e.queueRevert(tn, c.JobLogID, `{"skip_conflicts":true}`).JobLogID)
	if skipped.Status != "completed_with_errors" || skipped.Summary != (summary{Total: 3, Updated: 1, Failed: 1}) {
		t.Fatalf("queued revert with skip_conflicts: %+v", skipped)
	}
}

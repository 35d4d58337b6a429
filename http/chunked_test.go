package http_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/vintry/vintry/jobs"
)

// chunkedCSV cuts into chunks of two rows so that a key's rows meet in
// different chunks: A (stored, 5 gal) is updated in the first chunk, seen
// unchanged in the second and updated again in the third; C is created in
// the first and updated in the second.
const chunkedCSV = csvHeader +
	"124,SS-01,FG-GEN-LOT,2024-01-01,6,gal\n" + // A: updated
	"CAB 2019,SS-03,FG-GEN-LOT,2024-02-01,1,gal\n" + // C: created
	"124,SS-01,FG-GEN-LOT,2024-01-01,6.000,Gallon\n" + // A: unchanged
	"CAB 2019,SS-03,FG-GEN-LOT,2024-02-01,2,gal\n" + // C: updated
	"124,SS-01,FG-GEN-LOT,2024-01-01,8,gal\n" + // A: updated again
	"Nope,SS-01,FG-GEN-LOT,2024-01-01,1,gal\n" + // failed
	"124,SS-02,FG-GEN-LOT,2024-01-01,7,gal\n" // B: unchanged

// TestChunkedImport runs CSV jobs whose rows are decided and written two at
// a time: the results, counts, inventory, history and revert are those of
// the rows decided one after another; an all-or-nothing job that fails in
// its last chunk and a dry run leave the inventory as it was.
func TestChunkedImport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *jobs.Config) { c.ChunkRows = 2 })
	tn := e.newTenant("acme", true)
	e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", "5", "gal"),
		rec("124", "SS-02", "FG-GEN-LOT", "2024-01-01", "7", "gal"))
	before := e.snapshot(tn)
	wantResults := []string{"updated", "created", "unchanged", "updated", "updated", "failed", "unchanged"}

	for _, args := range []string{argsAllOrNothing, argsDryRun} {
		job := e.importCSV(tn, []byte(chunkedCSV), args)
		want := summary{Total: 7, Failed: 1}
		results := []string{"not_written", "not_written", "not_written", "not_written", "not_written", "failed", "not_written"}
		if args == argsDryRun {
			want, results = summary{Total: 7, Created: 1, Updated: 3, Unchanged: 2, Failed: 1}, wantResults
		}
		if job.Summary != want {
			t.Errorf("%s: summary %+v, want %+v", args, job.Summary, want)
		}
		if got := column(t, fileRecords(t, e.jobFile(tn, job, "output")), "result"); !slices.Equal(got, results) {
			t.Errorf("%s: results %v, want %v", args, got, results)
		}
		e.wantSnapshot(tn, before, args)
	}

	job := e.importCSV(tn, []byte(chunkedCSV), argsContinue)
	if job.Status != "completed_with_errors" || job.Summary != (summary{Total: 7, Created: 1, Updated: 3, Unchanged: 2, Failed: 1}) {
		t.Fatalf("import: %+v", job)
	}
	output := fileRecords(t, e.jobFile(tn, job, "output"))
	if got := column(t, output, "result"); !slices.Equal(got, wantResults) {
		t.Errorf("results %v, want %v", got, wantResults)
	}
	if got := column(t, output, "line"); !slices.Equal(got, []string{"2", "3", "4", "5", "6", "7", "8"}) {
		t.Errorf("lines %v", got)
	}
	if got := column(t, output, "message"); got[5] != "Item with name 'Nope' does not exist" || slices.ContainsFunc(append(got[:5:5], got[6]), func(s string) bool { return s != "" }) {
		t.Errorf("messages %q", got)
	}
	if staging := fileRecords(t, e.jobFile(tn, job, "staging")); len(staging) != 8 {
		t.Errorf("staging file: %v", staging)
	}
	stock := e.stock(tn)
	for key, qty := range map[string]string{
		invKey("124", "SS-01", "FG-GEN-LOT", "2024-01-01"):      "8 gal",
		invKey("CAB 2019", "SS-03", "FG-GEN-LOT", "2024-02-01"): "2 gal",
		invKey("124", "SS-02", "FG-GEN-LOT", "2024-01-01"):      "7 gal",
	} {
		if stock[key] != qty {
			t.Errorf("%s = %q, want %s", key, stock[key], qty)
		}
	}
	// One change per record and job, whichever chunks touched it.
	events := e.history(tn, keyHistoryPath(tn, "124", "SS-01", "FG-GEN-LOT", "2024-01-01"))
	var texts []string
	for _, ev := range events {
		texts = append(texts, eventText(ev))
	}
	if want := fmt.Sprintf("updated %d 8 Gallon <- 5 Gallon", job.JobLogID); !slices.Contains(texts, want) || len(texts) != 2 {
		t.Errorf("history of A: %q, want the import's create and %q", texts, want)
	}
	events = e.history(tn, keyHistoryPath(tn, "CAB 2019", "SS-03", "FG-GEN-LOT", "2024-02-01"))
	if len(events) != 1 || eventText(events[0]) != fmt.Sprintf("created %d 2 Gallon <- <nil> <nil>", job.JobLogID) {
		t.Errorf("history of C: %+v", events)
	}
	r := e.revert(tn, job.JobLogID, nil)
	if r.Content.Status != "completed" || r.Revert.Deleted != 1 || r.Revert.Restored != 1 {
		t.Fatalf("revert: %+v", r)
	}
	e.wantSnapshot(tn, before, "after the revert")
}

// TestChunkedImportFileErrorLate fails a job whose file breaks a limit only
// after some chunks were applied (the worker's limit is lower than the one
// the upload was checked against): nothing of it stays.
func TestChunkedImportFileErrorLate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *jobs.Config) { c.ChunkRows, c.MaxRecords = 2, 5 })
	tn := e.newTenant("acme", true)
	before := e.snapshot(tn)
	job := e.importCSV(tn, []byte(chunkedCSV), argsContinue)
	if job.Status != "failed" || job.Summary != (summary{}) {
		t.Fatalf("job: %+v", job)
	}
	errs := fileRecords(t, e.jobFile(tn, job, "errors"))
	if len(errs) != 2 || errs[1][3] != "Maximum 5 records per request" {
		t.Errorf("errors file: %q", errs)
	}
	e.wantSnapshot(tn, before, "after the failed job")
}

package http_test

import (
	"net/http"
	"testing"
)

// The jobs list carries each job's summary and links but not its row
// errors (§5); the status endpoint still has them.
func TestJobListLeavesRowErrorsOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("acme", true)
	r := e.importJSON(tn, importBody(true, true, true,
		rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"),
		rec("Cab 2019", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal")))
	if r.Status != http.StatusOK || r.Content.Status != "completed_with_errors" {
		t.Fatalf("import: %d %+v", r.Status, r.Content)
	}
	if errs := e.jobErrors(tn, r.Content.JobLogID); len(errs) != 1 {
		t.Fatalf("status errors = %+v, want the one row error", errs)
	}
	p := e.page("/acme/api/v1/imports", tn.MemberToken)
	if len(p.Data) != 1 {
		t.Fatalf("list: %+v", p)
	}
	entry := p.Data[0]
	if _, ok := entry["errors"]; ok {
		t.Errorf("list entry has errors: %v", entry["errors"])
	}
	if entry["summary"] == nil || entry["job_status_link"] == nil || entry["files"] == nil {
		t.Errorf("list entry lacks summary or links: %v", entry)
	}
}

package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestJobFileRetention deletes the files of the jobs that finished before
// a cutoff: their status lists no files and says when they went, a
// download says why it is gone, and the job, its summary, the inventory and
// its history stay. A job that finished after the cutoff keeps its files.
func TestJobFileRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.newTenant("keep", true)
	old := e.importCSV(tn, []byte(goodCSV), argsContinue)
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	recent := e.importCSV(tn, []byte(csvHeader+"124,SS-02,FG-GEN-LOT,2024-01-01,7,gal\n"), argsContinue)
	stock := e.stock(tn)
	oldFiles := old.Files

	n, err := e.DB.DeleteExpiredJobFiles(context.Background(), cutoff)
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpiredJobFiles = %d, %v; want 1 job", n, err)
	}
	gone := e.readJob(tn, old.JobLogID)
	for kind, paths := range gone.Files {
		if len(paths) != 0 {
			t.Errorf("deleted job still lists %s files %v", kind, paths)
		}
	}
	if gone.Timestamps["files_deleted_at"] == nil || gone.Status != old.Status || gone.Summary != old.Summary {
		t.Errorf("deleted job = %s %+v, files_deleted_at %v; want it unchanged but for its files", gone.Status, gone.Summary, gone.Timestamps["files_deleted_at"])
	}
	day := time.Now().UTC().Format(time.DateOnly)
	for _, paths := range oldFiles {
		res := e.do("GET", paths[0], tn.MemberToken, nil)
		wantError(t, res, http.StatusNotFound, "The job's files were deleted on "+day+", at the end of their retention.")
	}
	kept := e.readJob(tn, recent.JobLogID)
	if kept.Timestamps["files_deleted_at"] != nil || len(kept.Files["output"]) != 1 {
		t.Fatalf("recent job: files %v, files_deleted_at %v; want its files kept", kept.Files, kept.Timestamps["files_deleted_at"])
	}
	if body := e.download(tn, kept.Files["output"][0]); !strings.Contains(string(body), "SS-02") {
		t.Errorf("recent job's output: %q", body)
	}
	if got := e.stock(tn); len(got) != len(stock) {
		t.Errorf("inventory changed: %v, was %v", got, stock)
	}
	if n, err := e.DB.DeleteExpiredJobFiles(context.Background(), cutoff); err != nil || n != 0 {
		t.Errorf("second sweep = %d, %v; want nothing left to delete", n, err)
	}
}

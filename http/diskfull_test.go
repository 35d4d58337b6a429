package http_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/vintry/vintry/postgres/pgtest"
	"github.com/vintry/vintry/sqlite"
)

// TestStorageFullAnswers507 fills the database (SQLite's max_page_count
// stands in for a full disk: the same SQLITE_FULL): an upload gets 507 with a clear message and Retry-After, nothing is stored,
// and once there is room again the same upload is accepted.
func TestStorageFullAnswers507(t *testing.T) {
	t.Parallel()
	if pgtest.URL() != "" {
		t.Skip("PostgreSQL's disk_full (53100) is mapped by SQLSTATE (postgres.TestMapErrorDiskFull); its disk cannot be filled here")
	}
	var db *sqlite.DB
	e := newEnv(t, func(d *sqlite.DB) { db = d })
	tn := e.newTenant("full", true)
	limit := func(pages string) {
		t.Helper()
		if pages == "" {
			var n int
			if err := db.WriteDB().QueryRow(`PRAGMA page_count`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			pages = fmt.Sprint(n)
		}
		if _, err := db.WriteDB().Exec(`PRAGMA max_page_count = ` + pages); err != nil {
			t.Fatal(err)
		}
	}
	// 3 MB: more than any free pages the database may have.
	big := []byte(strings.TrimSuffix(csvHeader, "\n") + ",note\n" +
		strings.Repeat("124,SS-01,FG-GEN-LOT,2024-01-01,5,gal,"+strings.Repeat("x", 3000)+"\n", 1000))
	limit("")
	res := e.upload(tn, tn.MemberToken, csvParts("big.csv", big, argsContinue))
	wantError(t, res, http.StatusInsufficientStorage, "The server has no storage space left; nothing was stored. Try again later.")
	if res.Header.Get("Retry-After") == "" {
		t.Error("507 without Retry-After")
	}
	if n := e.jobCount(tn); n != 0 {
		t.Fatalf("a refused upload left %d jobs", n)
	}

	limit("1073741823")
	wantQueued(t, e.upload(tn, tn.MemberToken, csvParts("big.csv", big, argsContinue)))
}

package http_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/vintry/vintry/sqlite"
)

// steppingClock is a database clock that moves one second forward at every
// reading, so two readings in one transaction differ.
func steppingClock(db *sqlite.DB) {
	var ticks atomic.Int64
	start := time.Now()
	db.Now = func() time.Time { return start.Add(time.Duration(ticks.Add(1)) * time.Second) }
}

// A job's completed_at is when it finished, after its apply and files, not
// when its apply transaction began.
func TestCompletedAtIsTheFinishTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t, steppingClock)
	tn := e.newTenant("acme", true)
	imp := e.mustImport(tn, rec("124", "SS-01", "FG-GEN-LOT", "2024-01-01", 5, "gal"))
	st := e.jobStatus(tn, imp.JobLogID)
	started, completed := st.Timestamps["started_at"], st.Timestamps["completed_at"]
	if started == nil || completed == nil {
		t.Fatalf("timestamps %v", st.Timestamps)
	}
	s, err1 := time.Parse(time.RFC3339Nano, *started)
	c, err2 := time.Parse(time.RFC3339Nano, *completed)
	if err1 != nil || err2 != nil || !c.After(s) {
		t.Fatalf("completed_at %s is not after started_at %s (%v, %v)", *completed, *started, err1, err2)
	}
}

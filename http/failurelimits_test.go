package http

import (
	"testing"
	"time"
)

// TestFailureLimits: free failures cost nothing, then the wait doubles from
// the last failure up to maxBackoff; a success clears the key; a key left
// alone for forgetAfter starts again; keys never affect each other.
func TestFailureLimits(t *testing.T) {
	fl := newFailureLimits(3)
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if d := fl.wait("a", t0); d != 0 {
			t.Fatalf("failure %d: wait %v before the free failures are used", i, d)
		}
		fl.failed("a", t0)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if d := fl.wait("a", t0); d != want {
			t.Fatalf("after %d failures: wait %v, want %v", 3+i, d, want)
		}
		if d := fl.wait("a", t0.Add(want)); d != 0 {
			t.Fatalf("after %d failures, %v later: wait %v, want 0", 3+i, want, d)
		}
		fl.failed("a", t0)
	}
	if d := fl.wait("b", t0); d != 0 {
		t.Errorf("another key waits %v", d)
	}
	for i := 0; i < 40; i++ {
		fl.failed("a", t0)
	}
	if d := fl.wait("a", t0); d != maxBackoff {
		t.Errorf("after many failures: wait %v, want the cap %v", d, maxBackoff)
	}
	if d := fl.wait("a", t0.Add(forgetAfter+time.Second)); d != 0 {
		t.Errorf("a key left alone for %v still waits %v", forgetAfter, d)
	}
	fl.succeeded("a")
	if d := fl.wait("a", t0); d != 0 {
		t.Errorf("after a success: wait %v", d)
	}
	var none *failureLimits // no limit configured
	none.failed("a", t0)
	if d := none.wait("a", t0); d != 0 {
		t.Errorf("nil limits wait %v", d)
	}
}

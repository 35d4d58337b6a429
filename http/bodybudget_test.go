package http

import (
	"bytes"
	"context"
	"io"
	"testing"
)

// TestReadAllBudgetedHoldsWhatArrived: a body of 100 KB read under a limit
// of 10 MB holds about its own size from the budget, not the limit, and
// gives it all back at the end of the request.
func TestReadAllBudgetedHoldsWhatArrived(t *testing.T) {
	b := newBodyBudget(1<<30, 0)
	l := &bodyLease{b: b}
	ctx := context.WithValue(context.Background(), leaseKey{}, l)
	body := bytes.Repeat([]byte("x"), 100_000)
	data, err := readAllBudgeted(ctx, io.LimitReader(bytes.NewReader(body), 10<<20), 10<<20)
	if err != nil || !bytes.Equal(data, body) {
		t.Fatalf("read %d bytes, %v", len(data), err)
	}
	if l.held < int64(len(body)) || l.held > 2*int64(len(body)) {
		t.Errorf("the lease holds %d bytes for a body of %d", l.held, len(body))
	}
	l.release()
	if !b.sem.TryAcquire(b.size) {
		t.Error("the budget is not whole after the release")
	}
}

// TestReadAllBudgetedStopsAtTheLimit: the buffer never grows past limit.
func TestReadAllBudgetedStopsAtTheLimit(t *testing.T) {
	l := &bodyLease{b: newBodyBudget(1<<30, 0)}
	ctx := context.WithValue(context.Background(), leaseKey{}, l)
	data, err := readAllBudgeted(ctx, io.LimitReader(bytes.NewReader(make([]byte, 50_000)), 10_001), 10_001)
	if err != nil || len(data) != 10_001 || cap(data) > 10_001 {
		t.Fatalf("read %d bytes (cap %d), %v", len(data), cap(data), err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs a short soak (5 clients for 3 s) against a real server on
// embedded SQLite: it must end with no discrepancy.
func TestSmoke(t *testing.T) {
	t.Parallel()
	runSmoke(t, nil)
}

// TestSmokePostgres does the same on PostgreSQL when VINTRY_TEST_POSTGRES
// names a database the test may create schemas in.
func TestSmokePostgres(t *testing.T) {
	t.Parallel()
	url := os.Getenv("VINTRY_TEST_POSTGRES")
	if url == "" {
		t.Skip("VINTRY_TEST_POSTGRES is not set")
	}
	runSmoke(t, []string{"--database", url})
}

func runSmoke(t *testing.T, extra []string) {
	t.Helper()
	cfg, err := parseFlags(append([]string{"--clients", "5", "--duration", "3s", "--keys", "10", "--quiet"}, extra...), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, cfg, &out, os.Stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"json import", "csv upload", "lost 0, extra 0, wrong quantity 0, listed twice 0", "(doubled 0, lost 0)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestCompare checks that the final check finds each kind of discrepancy.
func TestCompare(t *testing.T) {
	model := map[string]string{"a": "1", "b": "2.25", "c": "3"}
	for _, tc := range []struct {
		name string
		inv  map[string]string
		want result
	}{
		{"equal", map[string]string{"a": "1", "b": "2.25", "c": "3"}, result{Expected: 3, Found: 3}},
		{"lost", map[string]string{"a": "1", "b": "2.25"}, result{Expected: 3, Found: 2, Lost: 1}},
		{"extra", map[string]string{"a": "1", "b": "2.25", "c": "3", "d": "4"}, result{Expected: 3, Found: 4, Extra: 1}},
		{"wrong", map[string]string{"a": "2", "b": "2.250", "c": "3"}, result{Expected: 3, Found: 3, Wrong: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := compare(model, tc.inv)
			got.Examples = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("compare = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestProblems checks that a run with any bad figure fails.
func TestProblems(t *testing.T) {
	ok := func() *report {
		s := newStats()
		s.add(kindJSON, time.Millisecond, 200, nil)
		return &report{Stats: s, Result: result{Expected: 1, Found: 1, ExpectedJobs: 1, Jobs: 1}}
	}
	if p := ok().problems(); len(p) != 0 {
		t.Fatalf("a clean run has problems: %v", p)
	}
	for name, spoil := range map[string]func(*report){
		"5xx":         func(r *report) { r.Stats.add(kindRead, time.Millisecond, 503, nil) },
		"transport":   func(r *report) { r.Stats.add(kindPoll, time.Millisecond, 0, errors.New("reset")) },
		"unexpected":  func(r *report) { r.Stats.unexpected(kindCSV, "failed job") },
		"lost":        func(r *report) { r.Result.Lost = 1 },
		"extra":       func(r *report) { r.Result.Extra = 1 },
		"wrong":       func(r *report) { r.Result.Wrong = 1 },
		"listedTwice": func(r *report) { r.Result.ListedTwice = 1 },
		"doubledJob":  func(r *report) { r.Result.Jobs = 2 },
		"lostJob":     func(r *report) { r.Result.Jobs = 0 },
		"noImports":   func(r *report) { r.Stats = newStats() },
	} {
		r := ok()
		spoil(r)
		if p := r.problems(); len(p) == 0 {
			t.Errorf("%s: no problem reported", name)
		}
	}
}

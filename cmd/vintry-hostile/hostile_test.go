package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestSmoke runs every phase briefly (4 attackers, 1 s each) against a
// real server on embedded SQLite: no phase may fail. The full run, 50
// attackers for 20 s a phase, is in docs/reliability.md.
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
	cfg, err := parseFlags(append([]string{"--parallel", "4", "--slow-conns", "8", "--phase", "1s", "--error-jobs", "3", "--quiet"}, extra...), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, cfg, &out, os.Stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, name := range phaseNames() {
		if !strings.Contains(out.String(), name) {
			t.Errorf("report lacks phase %s:\n%s", name, out.String())
		}
	}
	t.Log("\n" + out.String())
}

// TestPhasesFindProblems checks that a phase's result fails on each kind
// of problem.
func TestPhasesFindProblems(t *testing.T) {
	cfg := Config{MaxRSS: 1 << 30, VictimMax: time.Second}
	ok := phaseResult{name: "x", attacks: 3, statuses: map[int]int64{422: 3}, unexpected: map[string]int64{}, peakRSS: 100 << 20, victimOK: 5}
	if p := ok.problems(cfg); len(p) != 0 {
		t.Fatalf("a clean phase has problems %v", p)
	}
	for name, r := range map[string]phaseResult{
		"memory":   {name: "x", attacks: 1, peakRSS: 2 << 30},
		"victim":   {name: "x", attacks: 1, victimFailed: 1, victimFailures: []string{"sign-in: status 429"}},
		"slow":     {name: "x", attacks: 1, victimWorst: 2 * time.Second},
		"500":      {name: "x", attacks: 1, unexpected: map[string]int64{"status 500": 1}},
		"no input": {name: "x"},
	} {
		if p := r.problems(cfg); len(p) == 0 {
			t.Errorf("%s: no problem found", name)
		}
	}
}

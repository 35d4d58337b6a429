package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// smokeArgs are the smallest numbers that still run every phase.
var smokeArgs = []string{"--runs", "2", "--warmup", "1", "--sustain", "1s", "--clients", "2", "--large-rows", "2000", "--quiet"}

// TestSmoke runs the whole benchmark with tiny numbers against embedded
// SQLite and checks that the table and the JSON report hold every figure.
// It asserts nothing about the figures' values: timing belongs to the
// benchmark, not to the tests.
func TestSmoke(t *testing.T) {
	t.Parallel()
	runSmoke(t, nil)
}

// TestSmokePostgres does the same on PostgreSQL when VINTRY_TEST_POSTGRES
// (the variable of package postgres's tests) names a database the test may
// create schemas in.
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
	out := filepath.Join(t.TempDir(), "bench.json")
	cfg, err := parseFlags(append(append(smokeArgs, extra...), "--json", out), os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var table bytes.Buffer
	if err := run(ctx, cfg, &table, os.Stderr); err != nil {
		t.Fatalf("run: %v\ntable so far:\n%s", err, table.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, b)
	}
	checkFigures(t, &rep, table.String())
}

// checkFigures checks that the report and the table hold every figure the
// engine measures, each a finite number with its ratio and verdict.
func checkFigures(t *testing.T, rep *Report, table string) {
	t.Helper()
	got := map[string]Figure{}
	for _, f := range rep.Figures {
		got[f.ID] = f
	}
	want := 0
	for _, s := range specs {
		if s.sqliteOnly && rep.Engine != "sqlite" {
			continue
		}
		want++
		f, ok := got[s.id]
		switch {
		case !ok:
			t.Errorf("JSON report lacks %s", s.id)
		case math.IsNaN(f.Value) || math.IsInf(f.Value, 0) || f.Value < 0:
			t.Errorf("%s = %v, want a finite non-negative number", s.id, f.Value)
		case s.ref != "" && f.Ratio == nil && !refMissing(rep.Engine, s.ref):
			t.Errorf("%s has no ratio to %s", s.id, s.ref)
		case s.target != nil && s.target(rep.Engine).met != nil && f.Met == nil:
			t.Errorf("%s has a target but no verdict", s.id)
		}
		if !strings.Contains(table, s.label) {
			t.Errorf("table lacks the row %q:\n%s", s.label, table)
		}
	}
	if len(rep.Figures) != want {
		t.Errorf("report has %d figures, want %d", len(rep.Figures), want)
	}
	if got["sustained_errors"].Value != 0 {
		t.Errorf("sustained phase had %v failed requests", got["sustained_errors"].Value)
	}
	if rep.Machine.CPUs < 1 || rep.Engine == "" {
		t.Errorf("report describes machine %+v engine %q", rep.Machine, rep.Engine)
	}
}

func TestPercentile(t *testing.T) {
	ds := func(ms ...int) []time.Duration {
		out := make([]time.Duration, len(ms))
		for i, m := range ms {
			out[i] = time.Duration(m) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name     string
		in       []time.Duration
		med, p99 time.Duration
		p50NRank time.Duration
	}{
		{"none", nil, 0, 0, 0},
		{"one", ds(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"even count, unsorted", ds(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond, 2 * time.Millisecond},
		{"odd count", ds(5, 1, 9), 5 * time.Millisecond, 9 * time.Millisecond, 5 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.med {
				t.Errorf("median = %v, want %v", got, tt.med)
			}
			if got := percentile(tt.in, 99); got != tt.p99 {
				t.Errorf("p99 = %v, want %v", got, tt.p99)
			}
			if got := percentile(tt.in, 50); got != tt.p50NRank {
				t.Errorf("nearest-rank p50 = %v, want %v", got, tt.p50NRank)
			}
		})
	}
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond
	}
	if got := percentile(hundred, 99); got != 99*time.Millisecond {
		t.Errorf("p99 of 1..100 ms = %v, want 99ms", got)
	}
}

func TestKeysAreDistinct(t *testing.T) {
	seen := map[keyParts]int{}
	for i := range 3 * numItems * numBins * numLots / 100 {
		k := i * 97 // a spread of keys across days, lots and bins
		p := partsAt(k)
		p.uom = 0 // the uom is a value, not part of the key
		if prev, ok := seen[p]; ok {
			t.Fatalf("keys %d and %d map to the same record key %+v", prev, k, p)
		}
		seen[p] = k
	}
	if quantityAt(5, 0) == quantityAt(5, 1) {
		t.Error("versions 0 and 1 of a key have the same quantity")
	}
}

// refMissing reports whether a ratio's reference figure is one the engine
// does not measure.
func refMissing(engine, ref string) bool {
	for _, s := range specs {
		if s.id == ref {
			return s.sqliteOnly && engine != "sqlite"
		}
	}
	return false
}

package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// writeReport prints one line per phase, then its problems.
func writeReport(w io.Writer, cfg Config, results []phaseResult) {
	engine := "SQLite"
	if cfg.Database != "" {
		engine = "PostgreSQL"
	}
	fmt.Fprintf(w, "vintry-hostile: %s, %d attackers a phase (%d slow connections), %v a phase, RSS limit %d MiB\n\n",
		engine, cfg.Parallel, cfg.SlowConns, cfg.Phase, cfg.MaxRSS>>20)
	fmt.Fprintf(w, "%-16s %8s %-28s %9s %14s %12s  %s\n", "phase", "attacks", "answers", "peak RSS", "victim ok/fail", "victim max", "result")
	for _, r := range results {
		verdict := "ok"
		if probs := r.problems(cfg); len(probs) > 0 {
			verdict = "FAIL: " + strings.Join(probs, "; ")
		}
		fmt.Fprintf(w, "%-16s %8d %-28s %6d MiB %8d/%-5d %12v  %s\n", r.name, r.attacks, statusText(r.statuses),
			r.peakRSS>>20, r.victimOK, r.victimFailed, r.victimWorst.Round(time.Millisecond), verdict)
	}
}

// statusText renders status counts as "422×120 503×4" ("held" for 0).
func statusText(m map[int]int64) string {
	var keys []int
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		name := fmt.Sprint(k)
		if k == 0 {
			name = "held"
		}
		parts = append(parts, fmt.Sprintf("%s×%d", name, m[k]))
	}
	return strings.Join(parts, " ")
}

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// phaseResult is what one phase did and saw.
type phaseResult struct {
	name     string
	attacks  int64
	statuses map[int]int64
	// unexpected are statuses outside the phase's expectations, and
	// transport errors, with a count.
	unexpected map[string]int64
	peakRSS    int64 // bytes
	// The victim's requests: how many, how many failed, the slowest.
	victimOK, victimFailed int64
	victimWorst            time.Duration
	victimFailures         []string
}

// problems lists why the phase failed.
func (r phaseResult) problems(cfg Config) []string {
	var out []string
	if r.peakRSS > cfg.MaxRSS {
		out = append(out, fmt.Sprintf("peak RSS %d MiB over %d MiB", r.peakRSS>>20, cfg.MaxRSS>>20))
	}
	if r.victimFailed > 0 {
		out = append(out, fmt.Sprintf("%d victim requests failed (first: %s)", r.victimFailed, r.victimFailures[0]))
	}
	if r.victimWorst > cfg.VictimMax {
		out = append(out, fmt.Sprintf("a victim request took %v", r.victimWorst.Round(time.Millisecond)))
	}
	for what, n := range r.unexpected {
		out = append(out, fmt.Sprintf("%d× %s", n, what))
	}
	if r.attacks == 0 {
		out = append(out, "no attack ran")
	}
	slices.Sort(out)
	return out
}

// runPhase runs p's attackers for the phase's time while it samples the
// server's memory and probes as the victim.
func runPhase(ctx context.Context, e *env, pid int, p phase) phaseResult {
	r := phaseResult{name: p.name, statuses: map[int]int64{}, unexpected: map[string]int64{}}
	var mu sync.Mutex
	phaseCtx, cancel := context.WithTimeout(ctx, e.cfg.Phase)
	defer cancel()
	// The watchers go on until the last attack has finished: one under way
	// when the phase ends still counts, and so does the memory it takes.
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	var peak atomic.Int64
	var watchers sync.WaitGroup
	watchers.Go(func() { sampleRSS(watchCtx, pid, &peak) })
	watchers.Go(func() { e.probeVictim(watchCtx, &r, &mu) })

	workers := e.cfg.Parallel
	if p.workers != nil {
		workers = p.workers(e.cfg)
	}
	var attackers sync.WaitGroup
	for i := 0; i < workers; i++ {
		attackers.Go(func() {
			attackCtx := ctx // an attack under way at the end finishes and counts
			if p.holds {
				attackCtx = phaseCtx
			}
			for phaseCtx.Err() == nil {
				status, err := p.attack(attackCtx, e)
				if ctx.Err() != nil || (p.holds && phaseCtx.Err() != nil && err != nil) {
					return // interrupted, or cut off by the end of the phase
				}
				mu.Lock()
				r.attacks++
				switch {
				case err != nil:
					r.unexpected["transport error: "+errText(err)]++
				case !slices.Contains(p.expect, status):
					r.unexpected[fmt.Sprintf("status %d", status)]++
				default:
					r.statuses[status]++
				}
				mu.Unlock()
			}
		})
	}
	attackers.Wait()
	cancel()
	stopWatching()
	watchers.Wait()
	r.peakRSS = peak.Load()
	return r
}

// errText is an error without the addresses and ports that differ per
// connection, so equal failures count together.
func errText(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

// sampleRSS records the largest VmRSS of process pid every 20 ms.
func sampleRSS(ctx context.Context, pid int, peak *atomic.Int64) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if rss := readRSS(pid); rss > peak.Load() {
			peak.Store(rss)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// readRSS returns the resident set size of pid in bytes, 0 if unknown.
func readRSS(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// probeVictim reads the victim's inventory every 200 ms and signs in as
// the victim every 10 s, from the victim's own address.
func (e *env) probeVictim(ctx context.Context, r *phaseResult, mu *sync.Mutex) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	lastSignIn := time.Time{}
	for {
		path, token, what := "/"+victimTenant+"/api/v1/inventory?per_page=10", e.victimToken, "inventory read"
		if time.Since(lastSignIn) >= 10*time.Second {
			path, token, what = tokenPath(victimTenant, email(victimTenant), password), "", "sign-in"
			lastSignIn = time.Now()
		}
		start := time.Now()
		// A context of its own: a request under way when the phase ends
		// still counts.
		rctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		a, err := e.victim.do(rctx, methodOf(what), path, token, "", nil, 0)
		cancel()
		took := time.Since(start)
		mu.Lock()
		r.victimWorst = max(r.victimWorst, took)
		if err != nil || a.status != http.StatusOK {
			r.victimFailed++
			if len(r.victimFailures) < 5 {
				r.victimFailures = append(r.victimFailures, fmt.Sprintf("%s: status %d, %v", what, a.status, err))
			}
		} else {
			r.victimOK++
		}
		mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func methodOf(what string) string {
	if what == "sign-in" {
		return "POST"
	}
	return "GET"
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sustainPhase measures (4): clients posting 1000-record JSON imports of new
// records back to back. A request running when the time is up finishes and
// counts; the rate is over the time until the last one finished.
func (b *bench) sustainPhase(ctx context.Context) error {
	var t tally
	var elapsed, cpu time.Duration
	err := b.profiled(ctx, "sustain", func() error {
		cpu0, start := b.serverCPU(), time.Now()
		deadline := start.Add(b.cfg.Sustain)
		var wg sync.WaitGroup
		for range b.cfg.Clients {
			wg.Go(func() {
				for time.Now().Before(deadline) && ctx.Err() == nil {
					j, err := b.api.importJSON(ctx, jsonBody(b.keys.take(batchRows), batchRows, 0))
					t.record(j, err)
				}
			})
		}
		wg.Wait()
		elapsed, cpu = time.Since(start), b.serverCPU()-cpu0
		return ctx.Err()
	})
	if err != nil {
		return err
	}
	if t.firstErr != nil {
		b.log.printf("sustain: %d of %d requests failed; the first: %v", t.failures, t.requests, t.firstErr)
	}
	b.report.add("sustained_rows_per_s", rowsPerSecond(t.rows, elapsed), t.requests)
	b.report.add("sustained_errors", float64(t.failures), t.requests)
	if t.rows > 0 {
		b.report.add("sustained_cpu_ms", ms(cpu)/float64(t.rows)*batchRows, t.requests)
	}
	b.log.printf("sustain: %d requests, %d rows in %s", t.requests, t.rows, elapsed.Round(time.Millisecond))
	return nil
}

// tally counts the sustained phase's requests; it is safe for concurrent use.
type tally struct {
	mu                       sync.Mutex
	rows, requests, failures int
	firstErr                 error
}

// record counts one import's answer: its rows when it created all of them,
// a failure otherwise.
func (t *tally) record(j *job, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.requests++
	if err == nil && (j.Status != "completed" || j.Summary.Created != batchRows) {
		err = fmt.Errorf("unexpected result: %s", j.problem())
	}
	if err != nil {
		t.failures++
		if t.firstErr == nil {
			t.firstErr = err
		}
		return
	}
	t.rows += batchRows
}

// serverCPU returns the CPU time the server has used so far (0 when it
// cannot be read: the figures built on it then show nothing useful, and the
// wall-clock figures stand alone).
func (b *bench) serverCPU() time.Duration {
	d, _ := procCPU(b.srv.PID())
	return d
}

// largePhase measures (5): one CSV file of LargeRows new records, uploaded
// to a server restarted with the limits raised, until its job is
// completed; then the server's peak RSS.
func (b *bench) largePhase(ctx context.Context) error {
	path, size, err := b.writeLargeFile()
	if err != nil {
		return err
	}
	maxRecords := max(2_000_000, b.cfg.LargeRows)
	maxBytes := max(200_000_000, size+1<<20)
	b.log.printf("large: %d rows, %.1f MB; restarting the server with --max-records %d --max-upload-bytes %d",
		b.cfg.LargeRows, float64(size)/1e6, maxRecords, maxBytes)
	if err := b.restartServer(ctx, "--max-records", strconv.Itoa(maxRecords), "--max-upload-bytes", strconv.FormatInt(maxBytes, 10)); err != nil {
		return err
	}
	var accepted, total, cpu time.Duration
	err = b.profiled(ctx, "large", func() error {
		cpu0 := b.serverCPU()
		var err error
		accepted, total, err = b.largeRun(ctx, path, size)
		cpu = b.serverCPU() - cpu0
		return err
	})
	if err != nil {
		return err
	}
	hwm, err := procStatusKB(b.srv.PID(), "VmHWM")
	if err != nil {
		return err
	}
	b.report.add("large_upload_s", accepted.Seconds(), 0)
	b.report.add("large_total_s", total.Seconds(), 0)
	b.report.add("large_rows_per_s", rowsPerSecond(b.cfg.LargeRows, total), 0)
	b.report.add("large_peak_rss_mb", float64(hwm)/1024, 0)
	b.report.add("large_cpu_ms", ms(cpu)/float64(b.cfg.LargeRows)*batchRows, 0)
	b.log.printf("large: %.0f rows/s, peak RSS %.1f MB", rowsPerSecond(b.cfg.LargeRows, total), float64(hwm)/1024)
	return nil
}

// revertPhase reverts the large phase's job on a server restarted with the
// same raised limits (so its peak RSS is the revert's own): one request,
// answered 202 when the job is over --revert-sync-limit (a worker reverts
// it) and its revert job followed to the end, or answered 200 with the
// finished revert; it must have touched every record.
func (b *bench) revertPhase(ctx context.Context) error {
	if b.largeJobID == 0 {
		return errors.New("the revert phase reverts the large phase's job: run both")
	}
	maxRecords := max(2_000_000, b.cfg.LargeRows)
	if err := b.restartServer(ctx, "--max-records", strconv.Itoa(maxRecords), "--max-upload-bytes", "200000000"); err != nil {
		return err
	}
	var took, cpu time.Duration
	var rev *job
	err := b.profiled(ctx, "revert", func() error {
		cpu0 := b.serverCPU()
		start := time.Now()
		code, body, err := b.api.do(ctx, http.MethodPost, fmt.Sprintf("/%s/api/v1/imports/%d/revert", tenantSlug, b.largeJobID),
			"application/json", strings.NewReader("{}"), 2)
		if err != nil {
			return err
		}
		rev = &job{}
		if code == http.StatusOK { // a small job (--large-rows under --revert-sync-limit) is reverted at once
			err = decodeContent(code, http.StatusOK, body, rev)
		} else if err = decodeContent(code, http.StatusAccepted, body, rev); err == nil {
			rev, _, err = b.api.awaitJob(ctx, rev.ID, largePoll, largeJobLimit)
		}
		took, cpu = time.Since(start), b.serverCPU()-cpu0
		if err != nil {
			return fmt.Errorf("revert: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if rev.Status != "completed" || rev.Summary.Total != b.cfg.LargeRows {
		return fmt.Errorf("unexpected revert: %s", rev.problem())
	}
	hwm, err := procStatusKB(b.srv.PID(), "VmHWM")
	if err != nil {
		return err
	}
	b.report.add("revert_s", took.Seconds(), 0)
	b.report.add("revert_rows_per_s", rowsPerSecond(b.cfg.LargeRows, took), 0)
	b.report.add("revert_peak_rss_mb", float64(hwm)/1024, 0)
	b.report.add("revert_cpu_ms", ms(cpu)/float64(b.cfg.LargeRows)*batchRows, 0)
	b.log.printf("revert: %d records in %s, peak RSS %.1f MB", b.cfg.LargeRows, took.Round(time.Millisecond), float64(hwm)/1024)
	return nil
}

// writeLargeFile writes the large CSV file of new records into the work dir.
func (b *bench) writeLargeFile() (string, int64, error) {
	path := filepath.Join(b.work, "large.csv")
	f, err := os.Create(path)
	if err != nil {
		return "", 0, err
	}
	err = writeCSV(f, b.keys.take(b.cfg.LargeRows), b.cfg.LargeRows, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", 0, err
	}
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, err
	}
	return path, info.Size(), nil
}

// largeRun uploads the large file, streamed from disk, and follows its job
// to the end; it returns the times until the 202 and until completed.
func (b *bench) largeRun(ctx context.Context, path string, size int64) (accepted, total time.Duration, err error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer file.Close()
	start := time.Now()
	id, err := b.api.withTimeout(largeJobLimit).uploadCSV(ctx, file, size)
	if err != nil {
		return 0, 0, err
	}
	accepted = time.Since(start)
	b.log.printf("large: accepted as job %d after %s; waiting for it", id, accepted.Round(time.Millisecond))
	j, _, err := b.api.awaitJob(ctx, id, largePoll, largeJobLimit)
	if err != nil {
		return 0, 0, err
	}
	total = time.Since(start)
	b.largeJobID = id
	if j.Status != "completed" || j.Summary != (summary{Total: b.cfg.LargeRows, Created: b.cfg.LargeRows}) {
		return 0, 0, fmt.Errorf("unexpected result: %s", j.problem())
	}
	return accepted, total, nil
}

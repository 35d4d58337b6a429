package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Bounds of the loops that wait on a job, so a stuck job fails the run.
const (
	smallJobLimit = 2 * time.Minute
	largeJobLimit = time.Hour
	largePoll     = 100 * time.Millisecond
)

// The pause before each CSV upload: uniform in [csvGapMin,
// csvGapMin+csvGapSpread), longer than the queue's 200 ms poll interval.
const (
	csvGapMin    = 50 * time.Millisecond
	csvGapSpread = 250 * time.Millisecond
)

// sleepCtx waits d, or less if ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// physicalPhase measures (1): the rows straight through the driver.
func (b *bench) physicalPhase(ctx context.Context) error {
	up, ids, err := b.store.openPhysical(ctx, b.jobID)
	if err != nil {
		return err
	}
	defer up.close()
	res, err := measurePhysical(ctx, up, ids, b.cfg.Warmup, b.cfg.Runs)
	if err != nil {
		return err
	}
	ins, upd := median(res.insert), median(res.update)
	b.report.add("physical_insert_ms", ms(ins), len(res.insert))
	b.report.add("physical_insert_rows_per_s", rowsPerSecond(batchRows, ins), len(res.insert))
	b.report.add("physical_update_ms", ms(upd), len(res.update))
	b.report.add("physical_update_rows_per_s", rowsPerSecond(batchRows, upd), len(res.update))
	if b.cfg.engine() == "sqlite" {
		// The engine runs inside this process only with SQLite; PostgreSQL
		// does the work in its own processes, which no figure here counts.
		b.report.add("physical_insert_cpu_ms", ms(res.insertCPU)/float64(len(res.insert)), len(res.insert))
		b.report.add("physical_update_cpu_ms", ms(res.updateCPU)/float64(len(res.update)), len(res.update))
	}
	b.log.printf("physical: %.1f ms per 1000 new rows, %.1f ms per 1000 updates", ms(ins), ms(upd))
	return nil
}

// jsonPhase measures (2): 1000 new records per import, then the first
// batch again with new quantities (1000 updates) per import.
func (b *bench) jsonPhase(ctx context.Context) error {
	n := b.cfg.Warmup + b.cfg.Runs
	first := b.keys.take(n * batchRows)
	var creates, updates []time.Duration
	var createCPU, updateCPU time.Duration
	err := b.profiled(ctx, "json", func() error {
		var err error
		creates, createCPU, err = b.jsonRuns(ctx, "create", func(r int) []byte { return jsonBody(first+r*batchRows, batchRows, 0) },
			summary{Total: batchRows, Created: batchRows})
		if err != nil {
			return err
		}
		updates, updateCPU, err = b.jsonRuns(ctx, "update", func(r int) []byte { return jsonBody(first, batchRows, r+1) },
			summary{Total: batchRows, Updated: batchRows})
		return err
	})
	if err != nil {
		return err
	}
	b.report.add("json_create_median_ms", ms(median(creates)), len(creates))
	b.report.add("json_create_p99_ms", ms(percentile(creates, 99)), len(creates))
	b.report.add("json_update_median_ms", ms(median(updates)), len(updates))
	b.report.add("json_update_p99_ms", ms(percentile(updates, 99)), len(updates))
	b.report.add("json_create_cpu_ms", ms(createCPU)/float64(n), n)
	b.report.add("json_update_cpu_ms", ms(updateCPU)/float64(n), n)
	b.log.printf("json: median %.1f ms (new), %.1f ms (updates)", ms(median(creates)), ms(median(updates)))
	return nil
}

// jsonRuns posts warm-up plus measured JSON imports, body(r) being run r's
// (built before its clock starts), and returns the measured runs' times and
// the server CPU time of all of them.
func (b *bench) jsonRuns(ctx context.Context, what string, body func(r int) []byte, want summary) ([]time.Duration, time.Duration, error) {
	var times []time.Duration
	cpu := b.serverCPU()
	for r := range b.cfg.Warmup + b.cfg.Runs {
		d, err := b.timedJSON(ctx, body(r), want)
		if err != nil {
			return nil, 0, fmt.Errorf("%s run %d: %w", what, r, err)
		}
		if r >= b.cfg.Warmup {
			times = append(times, d)
		}
	}
	return times, b.serverCPU() - cpu, nil
}

// timedJSON posts one JSON import (its body built before the clock starts)
// and checks that it did exactly what want says.
func (b *bench) timedJSON(ctx context.Context, body []byte, want summary) (time.Duration, error) {
	start := time.Now()
	j, err := b.api.importJSON(ctx, body)
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if j.Status != "completed" || j.Summary != want {
		return 0, fmt.Errorf("unexpected result: %s", j.problem())
	}
	return d, nil
}

// csvPhase measures (3): a 1000-row CSV upload until its job is completed.
func (b *bench) csvPhase(ctx context.Context) error {
	var uploads, pickups, totals []time.Duration
	var cpu time.Duration
	n := b.cfg.Warmup + b.cfg.Runs
	err := b.profiled(ctx, "csv", func() error {
		cpu0 := b.serverCPU()
		defer func() { cpu = b.serverCPU() - cpu0 }()
		for r := range n {
			// An upload lands at a random moment of the queue's poll cycle,
			// as an upload that nothing preceded does: back to back, it would
			// ride the fetch the queue makes after finishing the previous job.
			if err := sleepCtx(ctx, csvGapMin+rand.N(csvGapSpread)); err != nil {
				return err
			}
			accepted, pickup, total, err := b.csvRun(ctx)
			if err != nil {
				return fmt.Errorf("run %d: %w", r, err)
			}
			if r >= b.cfg.Warmup {
				uploads, pickups, totals = append(uploads, accepted), append(pickups, pickup), append(totals, total)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.report.add("csv_upload_median_ms", ms(median(uploads)), len(uploads))
	b.report.add("csv_pickup_median_ms", ms(median(pickups)), len(pickups))
	b.report.add("csv_job_median_ms", ms(median(totals)), len(totals))
	b.report.add("csv_job_p99_ms", ms(percentile(totals, 99)), len(totals))
	b.report.add("csv_job_cpu_ms", ms(cpu)/float64(n), n)
	b.log.printf("csv: median %.1f ms until completed (%.1f ms until 202)", ms(median(totals)), ms(median(uploads)))
	return nil
}

// csvRun uploads one 1000-row CSV file of new records (built before the
// clock starts) and follows its job to the end. It returns the times from
// the start of the upload until the 202, until the job was first seen
// processing (until the end, if it never was), and until it was completed.
func (b *bench) csvRun(ctx context.Context) (accepted, pickup, total time.Duration, err error) {
	var file bytes.Buffer
	if err := writeCSV(&file, b.keys.take(batchRows), batchRows, 0); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	id, err := b.api.uploadCSV(ctx, bytes.NewReader(file.Bytes()), int64(file.Len()))
	if err != nil {
		return 0, 0, 0, err
	}
	accepted = time.Since(start)
	j, processing, err := b.api.awaitJob(ctx, id, b.cfg.Poll, smallJobLimit)
	if err != nil {
		return 0, 0, 0, err
	}
	total = time.Since(start)
	if j.Status != "completed" || j.Summary != (summary{Total: batchRows, Created: batchRows}) {
		return 0, 0, 0, fmt.Errorf("unexpected result: %s", j.problem())
	}
	pickup = total
	if !processing.IsZero() {
		pickup = processing.Sub(start)
	}
	return accepted, pickup, total, nil
}

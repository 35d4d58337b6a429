package main

import (
	"context"
	"fmt"
	"os"
	"time"
)

// store is the database of a run: the flags that point every vintry command
// at it, and direct access to the same engine for the physical limit.
type store interface {
	// flags are the database flags of every vintry command.
	flags() []string
	// openPhysical prepares a scratch copy of the live schema, holding the
	// seeded tenant and master data, and returns an upserter on it with the
	// ids it needs. jobID names an import job of the live database that the
	// rows are stamped with, as the import stamps them.
	openPhysical(ctx context.Context, jobID int64) (upserter, *masterIDs, error)
	// close removes what the run created (unless asked to keep it).
	close(ctx context.Context) error
}

// upserter writes one batch of rows in one transaction, with one statement
// prepared for all rows: the physical limit of the engine.
type upserter interface {
	upsert(ctx context.Context, rows []physRow) error
	close() error
}

// physRow is a record with its names already resolved to ids: nothing is
// left for the driver but to write it.
type physRow struct {
	item, bin, lot, uom int64
	date, quantity      string
}

// masterIDs are the ids of the seeded tenant and master data, by name.
type masterIDs struct {
	tenant, job            int64
	items, bins, lots, uom map[string]int64 // uom: by name and by abbreviation
}

// rows resolves keys [first, first+n) in version v, before any timer starts.
func (m *masterIDs) rows(first, n, v int) ([]physRow, error) {
	out := make([]physRow, n)
	for j := range out {
		r := recordAt(first+j, v)
		p := physRow{item: m.items[r.Item], bin: m.bins[r.Bin], lot: m.lots[r.Lot], uom: m.uom[r.UOM],
			date: r.Date, quantity: r.Quantity}
		if p.item == 0 || p.bin == 0 || p.lot == 0 || p.uom == 0 {
			return nil, fmt.Errorf("scratch copy lacks master data of %+v", r)
		}
		out[j] = p
	}
	return out, nil
}

// physicalResult holds the physical limit's per-run times: new rows
// (inserts) and the same rows again with new quantities (updates), and the
// CPU time the benchmark process (which is the database engine here) spent
// on them.
type physicalResult struct {
	insert, update       []time.Duration
	insertCPU, updateCPU time.Duration
}

// measurePhysical upserts batches of batchRows rows in one transaction each:
// warmup+runs batches of new keys — keys [0, batchRows) first, exactly the
// rows of the first JSON import — then warmup+runs times the first batch
// again in a new version, which updates every row.
func measurePhysical(ctx context.Context, u upserter, ids *masterIDs, warmup, runs int) (*physicalResult, error) {
	res := &physicalResult{}
	self := os.Getpid()
	timed := func(rows []physRow, r int, into *[]time.Duration, cpu *time.Duration) error {
		cpu0, err := procCPU(self)
		if err != nil {
			return err
		}
		start := time.Now()
		if err := u.upsert(ctx, rows); err != nil {
			return err
		}
		d := time.Since(start)
		cpu1, err := procCPU(self)
		if r >= warmup {
			*into = append(*into, d)
			*cpu += cpu1 - cpu0
		}
		return err
	}
	for r := range warmup + runs {
		rows, err := ids.rows(r*batchRows, batchRows, 0)
		if err != nil {
			return nil, err
		}
		if err := timed(rows, r, &res.insert, &res.insertCPU); err != nil {
			return nil, fmt.Errorf("physical insert run %d: %w", r, err)
		}
	}
	for r := range warmup + runs {
		rows, err := ids.rows(0, batchRows, r+1)
		if err != nil {
			return nil, err
		}
		if err := timed(rows, r, &res.update, &res.updateCPU); err != nil {
			return nil, fmt.Errorf("physical update run %d: %w", r, err)
		}
	}
	return res, nil
}

// batchRows is the size of every measured import and physical batch.
const batchRows = 1000

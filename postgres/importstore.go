package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/vintry/vintry/importer"
)

// importStore is the importer.Writer of one transaction, for the import of
// one job. Each load is one query, whatever the number of rows.
type importStore struct {
	tx       *Tx
	tenantID int64
	jobID    int64
}

// LoadRecords implements importer.Store.
func (s importStore) LoadRecords(ctx context.Context, keys []importer.Key) (map[importer.Key]importer.Record, error) {
	out := make(map[importer.Key]importer.Record, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	items, bins, lots := make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	dates := make([]string, len(keys))
	for i, k := range keys {
		items[i], bins[i], lots[i], dates[i] = k.ItemID, k.BinID, k.LotID, k.DateFilled
	}
	rows, err := s.tx.Query(ctx, `
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, inv.quantity, inv.uom_id, COALESCE(inv.last_job_id, 0)
		FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[]) AS k (item_id, bin_id, lot_id, date_filled)
		JOIN inventory inv ON inv.tenant_id = $1 AND inv.item_id = k.item_id AND inv.bin_id = k.bin_id
		     AND inv.lot_id = k.lot_id AND inv.date_filled = k.date_filled::date`,
		s.tenantID, items, bins, lots, dates)
	if err != nil {
		return nil, err
	}
	var k importer.Key
	var r importer.Record
	var qty pgtype.Numeric
	var date time.Time
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &k.ItemID, &k.BinID, &k.LotID, &date, &qty, &r.UOMID, &r.LastJobID}, func() error {
		var ok bool
		if r.Quantity, ok = decimalOf(qty); !ok {
			return fmt.Errorf("inventory record %d has no quantity", r.ID)
		}
		k.DateFilled = dateText(date)
		out[k] = r
		return nil
	})
	return out, err
}

// applySQL writes a plan's net changes in one statement: the writes come in
// as parallel arrays, are upserted by key in plan order, and every update
// (record_id <> 0) leaves a change row with the state before and after it.
// A create needs no change row: the record keeps the job that created it.
const applySQL = `
	WITH w AS (
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
		                     $6::numeric[], $7::bigint[], $8::numeric[], $9::bigint[])
		    WITH ORDINALITY AS w (record_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id, old_quantity, old_uom_id, ord)
	), written AS (
		INSERT INTO inventory AS inv (tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
		                              created_at, updated_at, last_job_id, created_job_id)
		SELECT $10, item_id, bin_id, lot_id, date_filled::date, quantity, uom_id, $11, $11, $12, $12
		FROM w ORDER BY ord
		ON CONFLICT (tenant_id, item_id, bin_id, lot_id, date_filled) DO UPDATE
		SET quantity = excluded.quantity, uom_id = excluded.uom_id, updated_at = excluded.updated_at,
		    last_job_id = excluded.last_job_id
		RETURNING inv.id, inv.created_at, inv.created_job_id
	)
	INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
		old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
	SELECT $10, w.record_id, w.item_id, w.bin_id, w.lot_id, w.date_filled::date, 'update',
	       w.old_quantity, w.old_uom_id, w.quantity, w.uom_id, $12, written.created_at, written.created_job_id, $11
	FROM w JOIN written ON written.id = w.record_id
	ORDER BY w.ord`

// ApplyWrites implements importer.Writer: it writes net changes, stamping
// them with the job id. The caller holds the tenant's write lock, under which
// they were decided, so an update's record is still the one it read.
//
// The writes are one chunk's (importer.Apply decides and writes ChunkRows
// rows at a time), so one statement carries them all: its parameter arrays
// stay as small as the chunk.
func (s importStore) ApplyWrites(ctx context.Context, writes []importer.Write) error {
	var again []importer.Write // records the job wrote before
	n := 0
	for _, w := range writes {
		if w.Old != nil && w.Old.LastJobID == s.jobID {
			again = append(again, w)
			continue
		}
		writes[n] = w
		n++
	}
	if err := s.upsert(ctx, writes[:n]); err != nil {
		return err
	}
	return s.writeAgain(ctx, again)
}

// upsert writes new records and updates of records the job had not written
// (applySQL), in order.
func (s importStore) upsert(ctx context.Context, writes []importer.Write) error {
	n := len(writes)
	if n == 0 {
		return nil
	}
	recordIDs, items, bins, lots := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	dates := make([]string, n)
	qtys, oldQtys := make([]pgtype.Numeric, n), make([]pgtype.Numeric, n)
	uoms, oldUOMs := make([]int64, n), make([]*int64, n)
	for i, w := range writes {
		recordIDs[i], items[i], bins[i], lots[i], dates[i] = w.RecordID, w.Key.ItemID, w.Key.BinID, w.Key.LotID, w.Key.DateFilled
		qtys[i], uoms[i] = numeric(w.Quantity), w.UOMID
		if w.Old != nil {
			oldQtys[i], oldUOMs[i] = numeric(w.Old.Quantity), &w.Old.UOMID
		}
	}
	_, err := s.tx.Exec(ctx, applySQL, recordIDs, items, bins, lots, dates, qtys, uoms, oldQtys, oldUOMs,
		s.tenantID, s.tx.now, s.jobID)
	return err
}

// writeAgainSQL updates records the job wrote before (in an earlier chunk of
// its rows): their change stays the job's one change, so its history row (a
// created record has none) gets the new state.
const writeAgainSQL = `
	WITH w AS (
		SELECT * FROM unnest($1::bigint[], $2::numeric[], $3::bigint[]) AS w (record_id, quantity, uom_id)
	), written AS (
		UPDATE inventory inv SET quantity = w.quantity, uom_id = w.uom_id, updated_at = $5
		FROM w WHERE inv.tenant_id = $4 AND inv.id = w.record_id
	)
	UPDATE inventory_changes c SET new_quantity = w.quantity, new_uom_id = w.uom_id
	FROM w WHERE c.tenant_id = $4 AND c.job_id = $6 AND c.record_id = w.record_id`

func (s importStore) writeAgain(ctx context.Context, writes []importer.Write) error {
	if len(writes) == 0 {
		return nil
	}
	ids, qtys, uoms := make([]int64, len(writes)), make([]pgtype.Numeric, len(writes)), make([]int64, len(writes))
	for i, w := range writes {
		ids[i], qtys[i], uoms[i] = w.RecordID, numeric(w.Quantity), w.UOMID
	}
	_, err := s.tx.Exec(ctx, writeAgainSQL, ids, qtys, uoms, s.tenantID, s.tx.now, s.jobID)
	return err
}

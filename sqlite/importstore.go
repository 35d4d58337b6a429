package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// importStore is the importer.Writer of one write transaction, for the
// import of one job.
type importStore struct {
	tx       *Tx
	tenantID int64
	jobID    int64
}

// LoadRecords implements importer.Store. The keys travel as one JSON array
// parameter, so the statement stays short and is parsed once, however many
// keys there are (a VALUES list of 2000 placeholders cost more to parse than
// to run). CROSS JOIN keeps json_each as the outer loop over the unique index.
// The keys are one chunk's (see importer.ChunkRows).
func (s importStore) LoadRecords(ctx context.Context, keys []importer.Key) (map[importer.Key]importer.Record, error) {
	out := make(map[importer.Key]importer.Record, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	tuples := make([][4]any, len(keys))
	for i, k := range keys {
		tuples[i] = [4]any{k.ItemID, k.BinID, k.LotID, k.DateFilled}
	}
	param, err := json.Marshal(tuples)
	if err != nil {
		return nil, err
	}
	rows, err := s.tx.QueryContext(ctx, `
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, inv.quantity, inv.uom_id, COALESCE(inv.last_job_id, 0)
		FROM json_each(?) AS k CROSS JOIN inventory inv
		WHERE inv.tenant_id = ? AND inv.item_id = k.value ->> 0 AND inv.bin_id = k.value ->> 1
		      AND inv.lot_id = k.value ->> 2 AND inv.date_filled = k.value ->> 3`,
		string(param), s.tenantID)
	if err != nil {
		return nil, err
	}
	if err := scanRecords(rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

func scanRecords(rows *sql.Rows, out map[importer.Key]importer.Record) error {
	defer rows.Close()
	for rows.Next() {
		var k importer.Key
		var r importer.Record
		var qty string
		if err := rows.Scan(&r.ID, &k.ItemID, &k.BinID, &k.LotID, &k.DateFilled, &qty, &r.UOMID, &r.LastJobID); err != nil {
			return err
		}
		q, err := decimal.NewFromString(qty)
		if err != nil {
			return err
		}
		r.Quantity = q
		out[k] = r
	}
	return rows.Err()
}

// ApplyWrites implements importer.Writer: it writes net changes, stamping
// them with the job id. An update also records the record's state before and
// after it; a create needs no history row, since the record keeps the job
// that created it. A record the job wrote before (in an earlier chunk) keeps
// that one change: its history row, if any, gets the new state.
//
// The writes (one chunk's: importer.Apply decides and writes ChunkRows rows at
// a time) travel as JSON array parameters, and each kind is one statement
// over json_each: per-row statements spent about a
// third of their time in database/sql and the driver (argument conversion,
// one goroutine per call). The array order is the write order, so ids are
// given (and history rows written) in the same order as row by row.
func (s importStore) ApplyWrites(ctx context.Context, writes []importer.Write) error {
	now := formatTime(s.tx.now)
	var creates, updates, changes, again [][]any
	for _, w := range writes {
		qty := vintry.FormatQuantity(w.Quantity)
		switch {
		case w.RecordID == 0:
			creates = append(creates, []any{w.Key.ItemID, w.Key.BinID, w.Key.LotID, w.Key.DateFilled, qty, w.UOMID})
			continue
		case w.Old.LastJobID == s.jobID:
			again = append(again, []any{w.RecordID, qty, w.UOMID})
		default:
			changes = append(changes, []any{w.RecordID, qty, w.UOMID, vintry.FormatQuantity(w.Old.Quantity), w.Old.UOMID})
		}
		updates = append(updates, []any{w.RecordID, qty, w.UOMID})
	}
	if err := s.insertRecords(ctx, now, creates); err != nil {
		return err
	}
	if err := s.insertChanges(ctx, now, changes); err != nil {
		return err
	}
	if err := s.updateRecords(ctx, now, updates); err != nil {
		return err
	}
	return s.updateChanges(ctx, again)
}

// insertRecords creates records: [item, bin, lot, date, quantity, uom].
func (s importStore) insertRecords(ctx context.Context, now string, creates [][]any) error {
	if len(creates) == 0 {
		return nil
	}
	param, err := json.Marshal(creates)
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx, `
		INSERT INTO inventory (tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id, created_at, updated_at, last_job_id, created_job_id)
		SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?2, ?2, ?3, ?3
		FROM json_each(?4) ORDER BY key`,
		s.tenantID, now, s.jobID, string(param))
	return err
}

// insertChanges writes the history rows of updates, before the records
// change: [record id, new quantity, new uom, old quantity, old uom]. They
// take the record's key and creation from the stored row.
func (s importStore) insertChanges(ctx context.Context, now string, changes [][]any) error {
	if len(changes) == 0 {
		return nil
	}
	param, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = s.tx.ExecContext(ctx, `
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
		SELECT ?1, inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, 'update',
			u.value ->> 3, u.value ->> 4, u.value ->> 1, u.value ->> 2, ?2, inv.created_at, inv.created_job_id, ?3
		FROM json_each(?4) AS u CROSS JOIN inventory inv
		WHERE inv.id = u.value ->> 0 AND inv.tenant_id = ?1
		ORDER BY u.key`,
		s.tenantID, s.jobID, now, string(param))
	return err
}

// updateRecords sets records' quantity and uom: [record id, quantity, uom].
// It is an upsert on the primary key rather than UPDATE … FROM, whose plan
// scanned the tenant's inventory for each key. Every row conflicts (the
// importer found it in this transaction), so the inserted values other than
// the id only satisfy NOT NULL; a record that were gone would fail the
// foreign keys, and the count is checked too.
func (s importStore) updateRecords(ctx context.Context, now string, updates [][]any) error {
	if len(updates) == 0 {
		return nil
	}
	param, err := json.Marshal(updates)
	if err != nil {
		return err
	}
	res, err := s.tx.ExecContext(ctx, `
		INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id, created_at, updated_at, last_job_id)
		SELECT value ->> 0, ?1, 0, 0, 0, '', value ->> 1, value ->> 2, ?2, ?2, ?3
		FROM json_each(?4) WHERE true
		ON CONFLICT (id) DO UPDATE SET quantity = excluded.quantity, uom_id = excluded.uom_id,
			updated_at = excluded.updated_at, last_job_id = excluded.last_job_id
		WHERE inventory.tenant_id = excluded.tenant_id`,
		s.tenantID, now, s.jobID, string(param))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != int64(len(updates)) {
		return fmt.Errorf("sqlite: apply writes: %d of %d updates matched a record", n, len(updates))
	}
	return nil
}

// updateChanges gives the job's history rows of records it wrote again
// their new state: [record id, quantity, uom]. A record the job created has
// no such row.
func (s importStore) updateChanges(ctx context.Context, again [][]any) error {
	for _, a := range again {
		if _, err := s.tx.ExecContext(ctx, `UPDATE inventory_changes SET new_quantity = ?, new_uom_id = ?
			WHERE tenant_id = ? AND job_id = ? AND record_id = ?`, a[1], a[2], s.tenantID, s.jobID, a[0]); err != nil {
			return err
		}
	}
	return nil
}

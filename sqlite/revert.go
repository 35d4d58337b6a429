package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// RevertImportJob implements vintry.JobLifecycle: the plan, the inverse
// writes, the revert job with its files and the link from the reverted job
// are one write transaction, planned and written in chunks
// (store.RunRevert).
func (db *DB) RevertImportJob(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.RevertResult, error) {
	var result *vintry.RevertResult
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		job, err := tx.findImportJob(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if err := job.CheckRevertable(); err != nil {
			return err
		}
		rev := store.NewRevertJob(job, tx.principal.UserID, tx.now, vintry.StatusProcessing)
		result, err = store.RunRevert(ctx, revertTx{tx, tenantID}, job, rev, tx.now, opts)
		return err
	})
	return result, err
}

// QueueRevert implements vintry.JobLifecycle (store.QueueRevert).
func (db *DB) QueueRevert(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.ImportJob, error) {
	if db.EnqueueRevert == nil {
		return nil, errors.New("sqlite: no job queue configured")
	}
	var rev *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		rev, err = store.QueueRevert(ctx, tx.store(), id, opts, func(revID int64) error { return db.EnqueueRevert(ctx, tx.Tx, revID) })
		return err
	})
	return rev, err
}

// RunQueuedRevert runs queued revert job jobID and, in the same write
// transaction, complete (store.RunQueuedRevert). A revert that conflicts
// is rolled back and ends failed (FailQueuedRevert).
func (db *DB) RunQueuedRevert(ctx context.Context, jobID int64, complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	var refused error
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		rev, err = store.RunQueuedRevert(ctx, tx.store(), jobID, func(tenantID int64) store.RevertTx { return revertTx{tx, tenantID} },
			func() error { return complete(ctx, tx.Tx) })
		if refused = nil; vintry.ErrorCode(err) == vintry.ECONFLICT {
			refused = err
		}
		return err
	})
	if refused == nil {
		return rev, err
	}
	return db.FailQueuedRevert(ctx, jobID, refused, complete)
}

// FailQueuedRevert ends queued revert job jobID as failed for reason and,
// in the same transaction, complete (store.FailQueuedRevert).
func (db *DB) FailQueuedRevert(ctx context.Context, jobID int64, reason error, complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		rev, err = store.FailQueuedRevert(ctx, tx.store(), jobID, reason,
			func(job *vintry.ImportJob) error { return store.JobFinished(ctx, tx.store(), job) }, func() error { return complete(ctx, tx.Tx) })
		return err
	})
	return rev, err
}

// revertTx is the store.RevertTx of a revert in tx, of tenant tenantID.
type revertTx struct {
	*Tx
	tenantID int64
}

func (r revertTx) InsertRevertJob(ctx context.Context, rev *vintry.ImportJob) error {
	return store.InsertJob(ctx, r.store(), rev)
}

func (r revertTx) WriteRevert(ctx context.Context, rev *vintry.ImportJob, deletes []int64, updates, restores []store.RevertItem) error {
	if len(deletes) > 0 {
		if err := store.DeleteRecords(ctx, r.store(), r.tenantID, deletes, rev.ID); err != nil {
			return err
		}
	}
	now := formatTime(r.now)
	for _, it := range updates {
		if _, err := r.ExecContext(ctx, `UPDATE inventory SET quantity = ?, uom_id = ?, updated_at = ?, last_job_id = ?
			WHERE tenant_id = ? AND id = ?`, vintry.FormatQuantity(it.JobBefore.Quantity), it.JobBefore.UOMID, now, rev.ID,
			r.tenantID, it.RecordID); err != nil {
			return err
		}
		if err := r.insertRevertChange(ctx, r.tenantID, rev.ID, "update", it, it.Now); err != nil {
			return err
		}
	}
	for _, it := range restores {
		k := it.Key
		if _, err := r.ExecContext(ctx, `INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
			created_at, updated_at, last_job_id, created_job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.RecordID, r.tenantID, k.ItemID, k.BinID, k.LotID, k.DateFilled, vintry.FormatQuantity(it.JobBefore.Quantity),
			it.JobBefore.UOMID, formatTime(it.RecordCreatedAt), now, rev.ID, nullID(it.RecordJobID)); err != nil {
			return err
		}
		if err := r.insertRevertChange(ctx, r.tenantID, rev.ID, "restore", it, nil); err != nil {
			return err
		}
	}
	return nil
}

func (r revertTx) PutRevertFile(ctx context.Context, rev *vintry.ImportJob, kind vintry.FileKind, content io.Reader) error {
	return r.db.PutFile(ctx, r.store(), rev, kind, func(w io.Writer) error {
		_, err := io.Copy(w, content)
		return err
	})
}

func (r revertTx) FinishRevert(ctx context.Context, rev *vintry.ImportJob) error {
	if err := store.FinishJob(ctx, r.store(), rev); err != nil {
		return err
	}
	if _, err := r.ExecContext(ctx, `UPDATE import_jobs SET reverted_by_job_id = ? WHERE id = ?`, rev.ID, rev.RevertsJobID); err != nil {
		return err
	}
	return store.JobFinished(ctx, r.store(), rev)
}

// insertRevertChange writes the history row of a revert's update or
// restore: the record from old (nil for a restore) to the state before the
// reverted job.
func (tx *Tx) insertRevertChange(ctx context.Context, tenantID, jobID int64, op string, it store.RevertItem, old *store.RevertState) error {
	var oldQty, oldUOM any
	if old != nil {
		oldQty, oldUOM = vintry.FormatQuantity(old.Quantity), old.UOMID
	}
	k := it.Key
	_, err := tx.ExecContext(ctx, `
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tenantID, it.RecordID, k.ItemID, k.BinID, k.LotID, k.DateFilled, op, oldQty, oldUOM,
		vintry.FormatQuantity(it.JobBefore.Quantity), it.JobBefore.UOMID, jobID, formatTime(it.RecordCreatedAt),
		nullID(it.RecordJobID), formatTime(tx.now))
	return err
}

// RevertRecordIDs returns the ids of the records job jobID created,
// changed, deleted or restored, ascending.
func (r revertTx) RevertRecordIDs(ctx context.Context, jobID int64) ([]int64, error) {
	return r.int64s(ctx, `
		SELECT record_id FROM inventory_changes WHERE tenant_id = ?1 AND job_id = ?2
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = ?1 AND record_job_id = ?2
		UNION SELECT id FROM inventory WHERE tenant_id = ?1 AND created_job_id = ?2
		ORDER BY 1`, r.tenantID, jobID)
}

// chunkIDs is a CTE of the ids of a chunk, passed as one JSON array (?3).
// Each query below starts from them (CROSS JOIN keeps SQLite from starting
// elsewhere), so a chunk costs what its records do, not the whole job.
const chunkIDs = `WITH ids (id) AS (SELECT value FROM json_each(?3))`

// RevertInput reads what the revert of job jobID decides on for the
// records ids.
func (r revertTx) RevertInput(ctx context.Context, jobID int64, ids []int64) (store.RevertInput, error) {
	in := store.RevertInput{JobID: jobID}
	list, err := json.Marshal(ids)
	if err != nil {
		return in, err
	}
	rows, err := r.QueryContext(ctx, chunkIDs+`
		SELECT c.id, c.record_id, c.item_id, c.bin_id, c.lot_id, c.date_filled,
		       COALESCE(i.name, ''), COALESCE(b.name, ''), COALESCE(lt.name, ''), c.op,
		       c.old_quantity, c.old_uom_id, ou.name, c.new_quantity, c.new_uom_id, nu.name,
		       COALESCE(c.job_id, 0), COALESCE(c.record_job_id, 0), c.record_created_at
		FROM ids CROSS JOIN inventory_changes c ON c.tenant_id = ?1 AND c.record_id = ids.id
		-- left joins: master data may have been deleted since
		LEFT JOIN items i ON i.id = c.item_id LEFT JOIN bins b ON b.id = c.bin_id LEFT JOIN lots lt ON lt.id = c.lot_id
		LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id
		ORDER BY c.id`, r.tenantID, jobID, string(list))
	if err != nil {
		return in, err
	}
	for rows.Next() {
		var c store.RevertChange
		var oldQty, oldUOM, newQty, newUOM sql.NullString
		var oldUOMID, newUOMID sql.NullInt64
		var created string
		k := &c.Key
		if err := rows.Scan(&c.ID, &c.RecordID, &k.ItemID, &k.BinID, &k.LotID, &k.DateFilled, &k.Item, &k.Bin, &k.Lot, &c.Op,
			&oldQty, &oldUOMID, &oldUOM, &newQty, &newUOMID, &newUOM, &c.JobID, &c.RecordJobID, &created); err != nil {
			rows.Close()
			return in, err
		}
		c.RecordCreatedAt = parseTime(created)
		if c.Old, err = revertState(oldQty, oldUOMID, oldUOM); err == nil {
			c.New, err = revertState(newQty, newUOMID, newUOM)
		}
		if err != nil {
			rows.Close()
			return in, err
		}
		in.Changes = append(in.Changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return in, err
	}
	if in.Created, err = r.int64s(ctx, chunkIDs+`
		SELECT inv.id FROM ids CROSS JOIN inventory inv ON inv.id = ids.id WHERE inv.tenant_id = ?1 AND inv.created_job_id = ?2
		UNION SELECT c.record_id FROM ids CROSS JOIN inventory_changes c ON c.tenant_id = ?1 AND c.record_id = ids.id
		WHERE c.record_job_id = ?2`, r.tenantID, jobID, string(list)); err != nil {
		return in, err
	}
	in.Current, err = r.revertCurrent(ctx, jobID, string(list))
	return in, err
}

// revertCurrent reads the records that exist now at the keys of the
// records of a chunk (a JSON array of ids), each marked when job jobID
// touched it.
func (r revertTx) revertCurrent(ctx context.Context, jobID int64, list string) ([]store.RevertRecord, error) {
	rows, err := r.QueryContext(ctx, chunkIDs+`, keys AS (
			SELECT c.item_id, c.bin_id, c.lot_id, c.date_filled FROM ids CROSS JOIN inventory_changes c
			ON c.tenant_id = ?1 AND c.record_id = ids.id
			UNION SELECT inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled FROM ids CROSS JOIN inventory inv
			ON inv.id = ids.id WHERE inv.tenant_id = ?1)
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, i.name, b.name, lt.name,
		       inv.quantity, inv.uom_id, u.name, COALESCE(inv.created_job_id, 0), COALESCE(inv.last_job_id, 0), inv.created_at,
		       inv.created_job_id IS ?2 OR EXISTS (SELECT 1 FROM inventory_changes x WHERE x.tenant_id = ?1
		           AND x.record_id = inv.id AND (x.job_id = ?2 OR x.record_job_id = ?2))
		FROM keys k CROSS JOIN inventory inv ON inv.tenant_id = ?1 AND inv.item_id = k.item_id AND inv.bin_id = k.bin_id
		     AND inv.lot_id = k.lot_id AND inv.date_filled = k.date_filled
		JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
		JOIN uoms u ON u.id = inv.uom_id`, r.tenantID, jobID, list)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.RevertRecord
	for rows.Next() {
		var rec store.RevertRecord
		var qty, created string
		k := &rec.Key
		if err := rows.Scan(&rec.ID, &k.ItemID, &k.BinID, &k.LotID, &k.DateFilled, &k.Item, &k.Bin, &k.Lot,
			&qty, &rec.State.UOMID, &rec.State.UOM, &rec.CreatedJobID, &rec.LastJobID, &created, &rec.Touched); err != nil {
			return nil, err
		}
		if rec.State.Quantity, err = decimal.NewFromString(qty); err != nil {
			return nil, err
		}
		rec.CreatedAt = parseTime(created)
		out = append(out, rec)
	}
	return out, rows.Err()
}

// revertState returns a stored state, nil when its quantity is NULL.
func revertState(qty sql.NullString, uomID sql.NullInt64, uom sql.NullString) (*store.RevertState, error) {
	if !qty.Valid {
		return nil, nil
	}
	q, err := decimal.NewFromString(qty.String)
	if err != nil {
		return nil, fmt.Errorf("stored quantity %q: %w", qty.String, err)
	}
	return &store.RevertState{Quantity: q, UOMID: uomID.Int64, UOM: uom.String}, nil
}

// int64s runs a query of one integer column.
func (tx *Tx) int64s(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

package postgres

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// RevertImportJob implements vintry.JobLifecycle: the plan, the inverse
// writes, the revert job with its files and the link from the reverted job
// are one transaction, which holds the tenant's write lock (so no import or
// delete of the tenant interleaves with it), planned and written in chunks
// (store.RunRevert).
func (db *DB) RevertImportJob(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.RevertResult, error) {
	var result *vintry.RevertResult
	err := db.update(ctx, func(tx *Tx) error {
		result = nil
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if err := tx.lockTenant(ctx, lockWrite, tenantID); err != nil {
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
		return nil, errors.New("postgres: no job queue configured")
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
func (db *DB) RunQueuedRevert(ctx context.Context, jobID int64, complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
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
func (db *DB) FailQueuedRevert(ctx context.Context, jobID int64, reason error, complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
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
		if err := r.store().Flush(ctx); err != nil { // before the restores below
			return err
		}
	}
	if len(updates)+len(restores) == 0 {
		return nil
	}
	batch := &pgx.Batch{}
	for _, it := range updates {
		batch.Queue(`UPDATE inventory SET quantity = $1, uom_id = $2, updated_at = $3, last_job_id = $4
			WHERE tenant_id = $5 AND id = $6`, numeric(it.JobBefore.Quantity), it.JobBefore.UOMID, r.now, rev.ID,
			r.tenantID, it.RecordID)
		r.queueRevertChange(batch, r.tenantID, rev.ID, "update", it, it.Now)
	}
	for _, it := range restores {
		k := it.Key
		batch.Queue(`INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
			created_at, updated_at, last_job_id, created_job_id) OVERRIDING SYSTEM VALUE
			VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12)`,
			it.RecordID, r.tenantID, k.ItemID, k.BinID, k.LotID, k.DateFilled, numeric(it.JobBefore.Quantity),
			it.JobBefore.UOMID, it.RecordCreatedAt, r.now, rev.ID, nullID(it.RecordJobID))
		r.queueRevertChange(batch, r.tenantID, rev.ID, "restore", it, nil)
	}
	return r.SendBatch(ctx, batch).Close()
}

func (r revertTx) PutRevertFile(ctx context.Context, rev *vintry.ImportJob, kind vintry.FileKind, content io.Reader) error {
	return r.db.PutFile(ctx, r.store(), rev, kind, func(w io.Writer) error {
		_, err := io.Copy(w, content)
		return err
	})
}

func (r revertTx) FinishRevert(ctx context.Context, rev *vintry.ImportJob) error {
	st := r.store()
	if err := store.FinishJob(ctx, st, rev); err != nil {
		return err
	}
	if err := st.Queue(ctx, `UPDATE import_jobs SET reverted_by_job_id = ? WHERE id = ?`, rev.ID, rev.RevertsJobID); err != nil {
		return err
	}
	return store.JobFinished(ctx, st, rev)
}

// queueRevertChange queues the history row of a revert's update or
// restore: the record from old (nil for a restore) to the state before the
// reverted job.
func (tx *Tx) queueRevertChange(batch *pgx.Batch, tenantID, jobID int64, op string, it store.RevertItem, old *store.RevertState) {
	var oldQty pgtype.Numeric
	var oldUOM *int64
	if old != nil {
		oldQty, oldUOM = numeric(old.Quantity), &old.UOMID
	}
	k := it.Key
	batch.Queue(`
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
		VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		tenantID, it.RecordID, k.ItemID, k.BinID, k.LotID, k.DateFilled, op, oldQty, oldUOM,
		numeric(it.JobBefore.Quantity), it.JobBefore.UOMID, jobID, it.RecordCreatedAt, nullID(it.RecordJobID), tx.now)
}

// nullID returns a pointer to id, nil (SQL NULL) for 0.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// RevertRecordIDs returns the ids of the records job jobID created,
// changed, deleted or restored, ascending.
func (r revertTx) RevertRecordIDs(ctx context.Context, jobID int64) ([]int64, error) {
	rows, err := r.Query(ctx, `
		SELECT record_id FROM inventory_changes WHERE tenant_id = $1 AND job_id = $2
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = $1 AND record_job_id = $2
		UNION SELECT id FROM inventory WHERE tenant_id = $1 AND created_job_id = $2
		ORDER BY 1`, r.tenantID, jobID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// RevertInput reads what the revert of job jobID decides on for the
// records ids ($3).
func (r revertTx) RevertInput(ctx context.Context, jobID int64, ids []int64) (store.RevertInput, error) {
	in := store.RevertInput{JobID: jobID}
	rows, err := r.Query(ctx, `
		SELECT c.id, c.record_id, c.item_id, c.bin_id, c.lot_id, c.date_filled,
		       COALESCE(i.name, ''), COALESCE(b.name, ''), COALESCE(lt.name, ''), c.op,
		       c.old_quantity, c.old_uom_id, ou.name, c.new_quantity, c.new_uom_id, nu.name,
		       COALESCE(c.job_id, 0), COALESCE(c.record_job_id, 0), c.record_created_at
		FROM inventory_changes c -- left joins: master data may have been deleted since
		LEFT JOIN items i ON i.id = c.item_id LEFT JOIN bins b ON b.id = c.bin_id LEFT JOIN lots lt ON lt.id = c.lot_id
		LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id
		WHERE c.tenant_id = $1 AND c.record_id = ANY ($2) ORDER BY c.id`, r.tenantID, ids)
	if err != nil {
		return in, err
	}
	var c store.RevertChange
	var date time.Time
	var oldQty, newQty pgtype.Numeric
	var oldUOMID, newUOMID *int64
	var oldUOM, newUOM *string
	k := &c.Key
	_, err = pgx.ForEachRow(rows, []any{&c.ID, &c.RecordID, &k.ItemID, &k.BinID, &k.LotID, &date, &k.Item, &k.Bin, &k.Lot, &c.Op,
		&oldQty, &oldUOMID, &oldUOM, &newQty, &newUOMID, &newUOM, &c.JobID, &c.RecordJobID, &c.RecordCreatedAt}, func() error {
		k.DateFilled, c.RecordCreatedAt = dateText(date), c.RecordCreatedAt.UTC()
		c.Old, c.New = revertState(oldQty, oldUOMID, oldUOM), revertState(newQty, newUOMID, newUOM)
		in.Changes = append(in.Changes, c)
		return nil
	})
	if err != nil {
		return in, err
	}
	rows, err = r.Query(ctx, `
		SELECT id FROM inventory WHERE tenant_id = $1 AND created_job_id = $2 AND id = ANY ($3)
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = $1 AND record_job_id = $2 AND record_id = ANY ($3)`,
		r.tenantID, jobID, ids)
	if err != nil {
		return in, err
	}
	if in.Created, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return in, err
	}
	in.Current, err = r.revertCurrent(ctx, jobID, ids)
	return in, err
}

// revertCurrent reads the records that exist now at the keys of the
// records ids, each marked when job jobID touched it.
func (r revertTx) revertCurrent(ctx context.Context, jobID int64, ids []int64) ([]store.RevertRecord, error) {
	rows, err := r.Query(ctx, `WITH keys AS (
			SELECT item_id, bin_id, lot_id, date_filled FROM inventory_changes WHERE tenant_id = $1 AND record_id = ANY ($3)
			UNION SELECT item_id, bin_id, lot_id, date_filled FROM inventory WHERE tenant_id = $1 AND id = ANY ($3))
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, i.name, b.name, lt.name,
		       inv.quantity, inv.uom_id, u.name, COALESCE(inv.created_job_id, 0), COALESCE(inv.last_job_id, 0), inv.created_at,
		       inv.created_job_id IS NOT DISTINCT FROM $2 OR EXISTS (SELECT 1 FROM inventory_changes x WHERE x.tenant_id = $1
		           AND x.record_id = inv.id AND (x.job_id = $2 OR x.record_job_id = $2))
		FROM keys k JOIN inventory inv ON inv.tenant_id = $1 AND inv.item_id = k.item_id AND inv.bin_id = k.bin_id
		     AND inv.lot_id = k.lot_id AND inv.date_filled = k.date_filled
		JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
		JOIN uoms u ON u.id = inv.uom_id`, r.tenantID, jobID, ids)
	if err != nil {
		return nil, err
	}
	var out []store.RevertRecord
	var rec store.RevertRecord
	var date time.Time
	var qty pgtype.Numeric
	k := &rec.Key
	_, err = pgx.ForEachRow(rows, []any{&rec.ID, &k.ItemID, &k.BinID, &k.LotID, &date, &k.Item, &k.Bin, &k.Lot,
		&qty, &rec.State.UOMID, &rec.State.UOM, &rec.CreatedJobID, &rec.LastJobID, &rec.CreatedAt, &rec.Touched}, func() error {
		var ok bool
		if rec.State.Quantity, ok = decimalOf(qty); !ok {
			return errors.New("inventory record without quantity")
		}
		k.DateFilled, rec.CreatedAt = dateText(date), rec.CreatedAt.UTC()
		out = append(out, rec)
		return nil
	})
	return out, err
}

// revertState returns a stored state, nil when its quantity is NULL.
func revertState(qty pgtype.Numeric, uomID *int64, uom *string) *store.RevertState {
	q, ok := decimalOf(qty)
	if !ok {
		return nil
	}
	return &store.RevertState{Quantity: q, UOMID: value(uomID), UOM: value(uom)}
}

// value returns *p, or the zero value for nil.
func value[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// RevertImportJob implements vintry.JobLifecycle: the plan, the inverse
// writes, the revert job with its files and the link from the reverted job
// are one transaction, which holds the tenant's write lock (so no import or
// delete of the tenant interleaves with it).
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
		in, err := tx.revertInput(ctx, tenantID, id)
		if err != nil {
			return err
		}
		plan, err := store.PlanRevert(in, opts)
		if err != nil || opts.Preview {
			if plan != nil {
				result = &plan.Result
			}
			return err
		}
		rev := store.RevertJob(job, tx.principal.UserID, tx.now, plan)
		if err := tx.applyRevert(ctx, tenantID, rev, plan); err != nil {
			return err
		}
		result = &plan.Result
		result.Job = rev
		return nil
	})
	return result, err
}

// applyRevert inserts the revert job, writes the plan, the job's files and
// final state, and links the reverted job to it.
func (tx *Tx) applyRevert(ctx context.Context, tenantID int64, rev *vintry.ImportJob, plan *store.RevertPlan) error {
	if err := tx.insertImportJob(ctx, rev); err != nil {
		return err
	}
	deletes, updates, restores := plan.Writes()
	if len(deletes) > 0 {
		if err := tx.deleteRecords(ctx, tenantID, deletes, rev.ID); err != nil {
			return err
		}
	}
	batch := &pgx.Batch{}
	for _, it := range updates {
		batch.Queue(`UPDATE inventory SET quantity = $1, uom_id = $2, updated_at = $3, last_job_id = $4
			WHERE tenant_id = $5 AND id = $6`, numeric(it.JobBefore.Quantity), it.JobBefore.UOMID, tx.now, rev.ID,
			tenantID, it.RecordID)
		tx.queueRevertChange(batch, tenantID, rev.ID, "update", it, it.Now)
	}
	for _, it := range restores {
		k := it.Key
		batch.Queue(`INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
			created_at, updated_at, last_job_id, created_job_id) OVERRIDING SYSTEM VALUE
			VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8, $9, $10, $11, $12)`,
			it.RecordID, tenantID, k.ItemID, k.BinID, k.LotID, k.DateFilled, numeric(it.JobBefore.Quantity),
			it.JobBefore.UOMID, it.RecordCreatedAt, tx.now, rev.ID, nullID(it.RecordJobID))
		tx.queueRevertChange(batch, tenantID, rev.ID, "restore", it, nil)
	}
	files, err := store.RevertJobFiles(plan)
	if err != nil {
		return err
	}
	tx.queueFile(batch, rev, vintry.FileInput, files.Input)
	tx.queueFile(batch, rev, vintry.FileStaging, files.Staging)
	tx.queueFile(batch, rev, vintry.FileOutput, files.Output)
	tx.queueFile(batch, rev, vintry.FileErrors, files.Errors)
	if err := queueFinishImportJob(batch, rev); err != nil {
		return err
	}
	batch.Queue(`UPDATE import_jobs SET reverted_by_job_id = $1 WHERE id = $2`, rev.ID, rev.RevertsJobID)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return err
	}
	return tx.jobFinished(ctx, rev)
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

// touchedRecords is a CTE of the ids of the records job $2 of tenant $1
// created, changed, deleted or restored.
const touchedRecords = `WITH touched (id) AS (
	SELECT record_id FROM inventory_changes WHERE tenant_id = $1 AND (job_id = $2 OR record_job_id = $2)
	UNION SELECT id FROM inventory WHERE tenant_id = $1 AND created_job_id = $2)`

// revertInput reads what a revert of job jobID decides on.
func (tx *Tx) revertInput(ctx context.Context, tenantID, jobID int64) (store.RevertInput, error) {
	in := store.RevertInput{JobID: jobID}
	rows, err := tx.Query(ctx, touchedRecords+`
		SELECT c.id, c.record_id, c.item_id, c.bin_id, c.lot_id, c.date_filled,
		       COALESCE(i.name, ''), COALESCE(b.name, ''), COALESCE(lt.name, ''), c.op,
		       c.old_quantity, c.old_uom_id, ou.name, c.new_quantity, c.new_uom_id, nu.name,
		       COALESCE(c.job_id, 0), COALESCE(c.record_job_id, 0), c.record_created_at
		FROM inventory_changes c -- left joins: master data may have been deleted since
		LEFT JOIN items i ON i.id = c.item_id LEFT JOIN bins b ON b.id = c.bin_id LEFT JOIN lots lt ON lt.id = c.lot_id
		LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id
		WHERE c.tenant_id = $1 AND c.record_id IN (SELECT id FROM touched) ORDER BY c.id`, tenantID, jobID)
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
	rows, err = tx.Query(ctx, `
		SELECT id FROM inventory WHERE tenant_id = $1 AND created_job_id = $2
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = $1 AND record_job_id = $2`, tenantID, jobID)
	if err != nil {
		return in, err
	}
	if in.Created, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return in, err
	}
	in.Current, err = tx.revertCurrent(ctx, tenantID, jobID)
	return in, err
}

// revertCurrent reads the records that exist now at the keys of the
// records job jobID touched.
func (tx *Tx) revertCurrent(ctx context.Context, tenantID, jobID int64) ([]store.RevertRecord, error) {
	rows, err := tx.Query(ctx, touchedRecords+`, keys AS (
			SELECT item_id, bin_id, lot_id, date_filled FROM inventory_changes WHERE tenant_id = $1 AND record_id IN (SELECT id FROM touched)
			UNION SELECT item_id, bin_id, lot_id, date_filled FROM inventory WHERE tenant_id = $1 AND id IN (SELECT id FROM touched))
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, i.name, b.name, lt.name,
		       inv.quantity, inv.uom_id, u.name, COALESCE(inv.created_job_id, 0), COALESCE(inv.last_job_id, 0), inv.created_at
		FROM keys k JOIN inventory inv ON inv.tenant_id = $1 AND inv.item_id = k.item_id AND inv.bin_id = k.bin_id
		     AND inv.lot_id = k.lot_id AND inv.date_filled = k.date_filled
		JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
		JOIN uoms u ON u.id = inv.uom_id`, tenantID, jobID)
	if err != nil {
		return nil, err
	}
	var out []store.RevertRecord
	var r store.RevertRecord
	var date time.Time
	var qty pgtype.Numeric
	k := &r.Key
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &k.ItemID, &k.BinID, &k.LotID, &date, &k.Item, &k.Bin, &k.Lot,
		&qty, &r.State.UOMID, &r.State.UOM, &r.CreatedJobID, &r.LastJobID, &r.CreatedAt}, func() error {
		var ok bool
		if r.State.Quantity, ok = decimalOf(qty); !ok {
			return errors.New("inventory record without quantity")
		}
		k.DateFilled, r.CreatedAt = dateText(date), r.CreatedAt.UTC()
		out = append(out, r)
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

// CancelImportJob implements vintry.JobLifecycle. It locks the job's row,
// as a worker's start and apply transactions do, so it never interleaves
// with them: a job whose changes committed first is finished, and the
// cancel is refused.
func (db *DB) CancelImportJob(ctx context.Context, id int64) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		job, err = scanImportJob(tx.QueryRow(ctx, importJobSelect+` WHERE id = $1 AND tenant_id = $2 FOR UPDATE`, id, tenantID))
		if errors.Is(err, pgx.ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgJobNotFound)
		} else if err != nil {
			return err
		}
		if err := job.CheckCancellable(); err != nil {
			return err
		}
		store.Cancel(job, tx.principal.UserID, tx.now)
		logLines, err := jsonText(nonNil(job.Log))
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE import_jobs SET status = $1, completed_at = $2, log = $3 WHERE id = $4`,
			string(job.Status), nullTime(job.CompletedAt), logLines, job.ID)
		return err
	})
	return job, err
}

package store

import (
	"context"
	"errors"
	"io"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
)

// RevertImportJob implements vintry.JobLifecycle: the plan, the inverse
// writes, the revert job with its files and the link from the reverted job
// are one write transaction, which holds the tenant's write lock (so no
// import or delete of the tenant interleaves with it), planned and written
// in chunks (runRevert).
func (s *Service) RevertImportJob(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.RevertResult, error) {
	var result *vintry.RevertResult
	err := s.d.Update(ctx, func(tx *Tx) error {
		result = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, LockWrite, tenantID); err != nil {
			return err
		}
		job, err := findJob(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if err := job.CheckRevertable(); err != nil {
			return err
		}
		rev := newRevertJob(job, tx.Principal.UserID, tx.Now, vintry.StatusProcessing)
		result, err = runRevert(ctx, s.revertTx(tx, tenantID), job, rev, tx.Now, opts, s.RevertChunk)
		return err
	})
	return result, err
}

// QueueRevert implements vintry.JobLifecycle (queueRevert).
func (s *Service) QueueRevert(ctx context.Context, id int64, opts vintry.RevertOptions) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	err := s.d.Update(ctx, func(tx *Tx) error {
		var err error
		rev, err = s.queueRevert(ctx, tx, id, opts)
		return err
	})
	return rev, err
}

// revertTx returns the RevertTx of a revert of tenant tenantID in tx.
func (s *Service) revertTx(tx *Tx, tenantID int64) RevertTx {
	return dbRevertTx{s: s, tx: tx, tenantID: tenantID}
}

// dbRevertTx is RevertTx on the store's tables.
type dbRevertTx struct {
	s        *Service
	tx       *Tx
	tenantID int64
}

func (r dbRevertTx) InsertRevertJob(ctx context.Context, rev *vintry.ImportJob) error {
	return insertJob(ctx, r.tx, rev)
}

// WriteRevert writes the deletes, then the updates and restores, each with
// its history row.
func (r dbRevertTx) WriteRevert(ctx context.Context, rev *vintry.ImportJob, deletes []int64, updates, restores []RevertItem) error {
	tx := r.tx
	if len(deletes) > 0 {
		if err := deleteRecords(ctx, tx, r.tenantID, deletes, rev.ID); err != nil {
			return err
		}
	}
	for _, it := range updates {
		if err := tx.Queue(ctx, `UPDATE inventory SET quantity = ?, uom_id = ?, updated_at = ?, last_job_id = ?
			WHERE tenant_id = ? AND id = ?`, vintry.FormatQuantity(it.JobBefore.Quantity), it.JobBefore.UOMID, tx.Now, rev.ID,
			r.tenantID, it.RecordID); err != nil {
			return err
		}
		if err := r.insertChange(ctx, rev.ID, "update", it, it.Now); err != nil {
			return err
		}
	}
	for _, it := range restores {
		k := it.Key
		if err := tx.Queue(ctx, `INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
			created_at, updated_at, last_job_id, created_job_id)`+tx.Dialect.OverrideID()+` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.RecordID, r.tenantID, k.ItemID, k.BinID, k.LotID, k.DateFilled, vintry.FormatQuantity(it.JobBefore.Quantity),
			it.JobBefore.UOMID, it.RecordCreatedAt, tx.Now, rev.ID, nullID(it.RecordJobID)); err != nil {
			return err
		}
		if err := r.insertChange(ctx, rev.ID, "restore", it, nil); err != nil {
			return err
		}
	}
	return nil
}

// insertChange writes the history row of a revert's update or restore: the
// record from old (nil for a restore) to the state before the reverted job.
func (r dbRevertTx) insertChange(ctx context.Context, jobID int64, op string, it RevertItem, old *RevertState) error {
	var oldQty *string
	var oldUOM *int64
	if old != nil {
		q := vintry.FormatQuantity(old.Quantity)
		oldQty, oldUOM = &q, &old.UOMID
	}
	k := it.Key
	return r.tx.Queue(ctx, `
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.tenantID, it.RecordID, k.ItemID, k.BinID, k.LotID, k.DateFilled, op, oldQty, oldUOM,
		vintry.FormatQuantity(it.JobBefore.Quantity), it.JobBefore.UOMID, jobID, it.RecordCreatedAt, nullID(it.RecordJobID), r.tx.Now)
}

// nullID returns a pointer to id, nil (SQL NULL) for 0.
func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (r dbRevertTx) PutRevertFile(ctx context.Context, rev *vintry.ImportJob, kind vintry.FileKind, content io.Reader) error {
	return r.s.PutFile(ctx, r.tx, rev, kind, func(w io.Writer) error {
		_, err := io.Copy(w, content)
		return err
	})
}

func (r dbRevertTx) FinishRevert(ctx context.Context, rev *vintry.ImportJob) error {
	if err := finishJob(ctx, r.tx, rev); err != nil {
		return err
	}
	if err := r.tx.Queue(ctx, `UPDATE import_jobs SET reverted_by_job_id = ? WHERE id = ?`, rev.ID, rev.RevertsJobID); err != nil {
		return err
	}
	return r.s.jobFinished(ctx, r.tx, rev)
}

// RevertRecordIDs returns the ids of the records job jobID created,
// changed, deleted or restored, ascending.
func (r dbRevertTx) RevertRecordIDs(ctx context.Context, jobID int64) ([]int64, error) {
	return queryIDs(ctx, r.tx, `
		SELECT record_id FROM inventory_changes WHERE tenant_id = ? AND job_id = ?
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = ? AND record_job_id = ?
		UNION SELECT id FROM inventory WHERE tenant_id = ? AND created_job_id = ?
		ORDER BY 1`, r.tenantID, jobID, r.tenantID, jobID, r.tenantID, jobID)
}

// RevertInput reads what the revert of job jobID decides on for the
// records ids: each query starts from the ids, so a chunk costs what its
// records do, not the whole job.
func (r dbRevertTx) RevertInput(ctx context.Context, jobID int64, ids []int64) (RevertInput, error) {
	in := RevertInput{JobID: jobID}
	tx, list := r.tx, IDs(ids)
	rows, err := tx.Query(ctx, `
		SELECT c.id, c.record_id, c.item_id, c.bin_id, c.lot_id, c.date_filled,
		       COALESCE(i.name, ''), COALESCE(b.name, ''), COALESCE(lt.name, ''), c.op,
		       c.old_quantity, c.old_uom_id, ou.name, c.new_quantity, c.new_uom_id, nu.name,
		       COALESCE(c.job_id, 0), COALESCE(c.record_job_id, 0), c.record_created_at
		FROM inventory_changes c -- left joins: master data may have been deleted since
		LEFT JOIN items i ON i.id = c.item_id LEFT JOIN bins b ON b.id = c.bin_id LEFT JOIN lots lt ON lt.id = c.lot_id
		LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id
		WHERE c.tenant_id = ? AND `+tx.Dialect.In("c.record_id")+` ORDER BY c.id`, r.tenantID, list)
	if err != nil {
		return in, err
	}
	defer rows.Close()
	for rows.Next() {
		var c RevertChange
		var date Date
		var oldQty, newQty *decimal.Decimal
		var oldUOMID, newUOMID *int64
		var oldUOM, newUOM *string
		k := &c.Key
		if err := rows.Scan(&c.ID, &c.RecordID, &k.ItemID, &k.BinID, &k.LotID, &date, &k.Item, &k.Bin, &k.Lot, &c.Op,
			&oldQty, &oldUOMID, &oldUOM, &newQty, &newUOMID, &newUOM, &c.JobID, &c.RecordJobID, &c.RecordCreatedAt); err != nil {
			return in, err
		}
		k.DateFilled = string(date)
		c.Old, c.New = revertState(oldQty, oldUOMID, oldUOM), revertState(newQty, newUOMID, newUOM)
		in.Changes = append(in.Changes, c)
	}
	if err := rows.Err(); err != nil {
		return in, err
	}
	if in.Created, err = queryIDs(ctx, tx, `
		SELECT id FROM inventory WHERE tenant_id = ? AND created_job_id = ? AND `+tx.Dialect.In("id")+`
		UNION SELECT record_id FROM inventory_changes WHERE tenant_id = ? AND record_job_id = ? AND `+tx.Dialect.In("record_id"),
		r.tenantID, jobID, list, r.tenantID, jobID, list); err != nil {
		return in, err
	}
	in.Current, err = r.current(ctx, jobID, list)
	return in, err
}

// current reads the records that exist now at the keys of the records ids,
// each marked when job jobID touched it.
func (r dbRevertTx) current(ctx context.Context, jobID int64, ids IDs) ([]RevertRecord, error) {
	tx := r.tx
	rows, err := tx.Query(ctx, `WITH keys AS (
			SELECT c.item_id, c.bin_id, c.lot_id, c.date_filled FROM `+tx.Dialect.IDTable("ids")+`
			CROSS JOIN inventory_changes c WHERE c.tenant_id = ? AND c.record_id = ids.value
			UNION SELECT inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled FROM `+tx.Dialect.IDTable("ids2")+`
			CROSS JOIN inventory inv WHERE inv.tenant_id = ? AND inv.id = ids2.value)
		SELECT inv.id, inv.item_id, inv.bin_id, inv.lot_id, inv.date_filled, i.name, b.name, lt.name,
		       inv.quantity, inv.uom_id, u.name, COALESCE(inv.created_job_id, 0), COALESCE(inv.last_job_id, 0), inv.created_at,
		       COALESCE(inv.created_job_id, 0) = ? OR EXISTS (SELECT 1 FROM inventory_changes x WHERE x.tenant_id = inv.tenant_id
		           AND x.record_id = inv.id AND (x.job_id = ? OR x.record_job_id = ?))
		FROM keys k CROSS JOIN inventory inv
		JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
		JOIN uoms u ON u.id = inv.uom_id
		WHERE inv.tenant_id = ? AND inv.item_id = k.item_id AND inv.bin_id = k.bin_id
		  AND inv.lot_id = k.lot_id AND inv.date_filled = k.date_filled`,
		ids, r.tenantID, ids, r.tenantID, jobID, jobID, jobID, r.tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RevertRecord
	for rows.Next() {
		var rec RevertRecord
		var date Date
		var qty *decimal.Decimal
		k := &rec.Key
		if err := rows.Scan(&rec.ID, &k.ItemID, &k.BinID, &k.LotID, &date, &k.Item, &k.Bin, &k.Lot,
			&qty, &rec.State.UOMID, &rec.State.UOM, &rec.CreatedJobID, &rec.LastJobID, &rec.CreatedAt, &rec.Touched); err != nil {
			return nil, err
		}
		if qty == nil {
			return nil, errors.New("store: an inventory record without quantity")
		}
		k.DateFilled, rec.State.Quantity = string(date), *qty
		out = append(out, rec)
	}
	return out, rows.Err()
}

// revertState returns a stored state, nil when its quantity is NULL.
func revertState(qty *decimal.Decimal, uomID *int64, uom *string) *RevertState {
	if qty == nil {
		return nil
	}
	st := &RevertState{Quantity: *qty}
	if uomID != nil {
		st.UOMID = *uomID
	}
	if uom != nil {
		st.UOM = *uom
	}
	return st
}

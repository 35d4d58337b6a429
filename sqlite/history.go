package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

const inventoryJoins = `
	FROM inventory inv
	JOIN items i ON i.id = inv.item_id
	JOIN bins b ON b.id = inv.bin_id
	JOIN location_areas a ON a.id = b.area_id
	JOIN locations l ON l.id = a.location_id
	JOIN lots lt ON lt.id = inv.lot_id`

// conditions builds an AND of SQL conditions with their arguments.
type conditions struct {
	where []string
	args  []any
}

func (c *conditions) eq(column, v string) {
	if v != "" {
		c.where, c.args = append(c.where, column+" = ?"), append(c.args, v)
	}
}

func (c *conditions) in(column string, values []string) {
	if len(values) == 0 {
		return
	}
	c.where = append(c.where, column+" IN ("+marks(len(values))+")")
	for _, v := range values {
		c.args = append(c.args, v)
	}
}

func (c *conditions) cmp(expr, v string) {
	if v != "" {
		c.where, c.args = append(c.where, expr), append(c.args, v)
	}
}

func (c *conditions) sql() string { return strings.Join(c.where, " AND ") }

// DeleteInventory implements vintry.InventoryWriter.
func (db *DB) DeleteInventory(ctx context.Context, req vintry.DeleteRequest) (int, error) {
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		ids, err := tx.selectForDelete(ctx, tenantID, req)
		if err != nil {
			return err
		}
		n = len(ids)
		if req.DryRun {
			return nil
		}
		return tx.deleteRecords(ctx, tenantID, ids, 0)
	})
	return n, err
}

// selectForDelete returns the ids of the records a delete request selects:
// rows are ORed (each row's fields ANDed); filters are ANDed (each list ORed).
func (tx *Tx) selectForDelete(ctx context.Context, tenantID int64, req vintry.DeleteRequest) ([]int64, error) {
	var groups []conditions
	if len(req.Rows) > 0 {
		for _, r := range req.Rows {
			var c conditions
			c.eq("i.name", r.Item)
			c.eq("l.name", r.Location)
			c.eq("a.name", r.LocationArea)
			c.eq("b.name", r.Bin)
			c.eq("lt.name", r.Lot)
			c.eq("inv.date_filled", r.DateFilled)
			groups = append(groups, c)
		}
	} else {
		var c conditions
		f := req.Filter
		c.in("i.name", f.Items)
		c.in("l.name", f.Locations)
		c.in("a.name", f.LocationAreas)
		c.in("b.name", f.Bins)
		c.in("lt.name", f.Lots)
		c.cmp("inv.date_filled >= ?", f.DateFrom)
		c.cmp("inv.date_filled <= ?", f.DateTo)
		groups = append(groups, c)
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, c := range groups {
		if len(c.where) == 0 {
			continue // a row that names nothing selects nothing
		}
		rows, err := tx.QueryContext(ctx, `SELECT inv.id`+inventoryJoins+` WHERE inv.tenant_id = ? AND `+c.sql(),
			append([]any{tenantID}, c.args...)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// deleteRecords writes each record's last state to history, then deletes it.
// jobID is the job that deletes (a revert), 0 for a batch delete.
func (tx *Tx) deleteRecords(ctx context.Context, tenantID int64, ids []int64, jobID int64) error {
	var job, user any // job NULL for a batch delete, whose user is recorded
	if jobID != 0 {
		job = jobID
	} else if tx.principal.UserID != 0 {
		user = tx.principal.UserID
	}
	now := formatTime(tx.now)
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		args := []any{tenantID}
		for _, id := range chunk {
			args = append(args, id)
		}
		where := `WHERE tenant_id = ? AND id IN (` + marks(len(chunk)) + `)`
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
				old_quantity, old_uom_id, job_id, record_created_at, record_job_id, changed_at, user_id)
			SELECT tenant_id, id, item_id, bin_id, lot_id, date_filled, 'delete',
				quantity, uom_id, ?, created_at, created_job_id, ?, ?
			FROM inventory `+where+` ORDER BY id`, append([]any{job, now, user}, args...)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM inventory `+where, args...); err != nil {
			return err
		}
	}
	return nil
}

// FindRecordHistory implements vintry.InventoryWriter.
func (db *DB) FindRecordHistory(ctx context.Context, id int64) ([]vintry.HistoryEvent, error) {
	var events []vintry.HistoryEvent
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		events, err = tx.recordHistory(ctx, tenantID, id)
		if err == nil && len(events) == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, "Inventory record not found.")
		}
		return err
	})
	return events, err
}

// FindKeyHistory implements vintry.InventoryWriter.
func (db *DB) FindKeyHistory(ctx context.Context, key vintry.InventoryKey) ([]vintry.HistoryEvent, error) {
	var events []vintry.HistoryEvent
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT record_id FROM inventory_changes c
			JOIN items i ON i.id = c.item_id JOIN bins b ON b.id = c.bin_id JOIN lots lt ON lt.id = c.lot_id
			WHERE c.tenant_id = ? AND i.name = ? AND b.name = ? AND lt.name = ? AND c.date_filled = ?
			UNION
			SELECT inv.id FROM inventory inv
			JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
			WHERE inv.tenant_id = ? AND i.name = ? AND b.name = ? AND lt.name = ? AND inv.date_filled = ?
			ORDER BY 1`, tenantID, key.Item, key.Bin, key.Lot, key.DateFilled, tenantID, key.Item, key.Bin, key.Lot, key.DateFilled)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			ev, err := tx.recordHistory(ctx, tenantID, id)
			if err != nil {
				return err
			}
			events = append(events, ev...)
		}
		return rows.Err()
	})
	return events, err
}

// historyRow is a stored change with its UOM names, or a record's current
// state, as SQLite returns them.
type historyRow struct {
	op                string
	oldQty, oldUOM    string
	newQty, newUOM    sql.NullString
	jobID, recordJob  sql.NullInt64
	recordCreated, at string
	by, recordBy      string
}

// recordHistory rebuilds a record's events from its change rows and, while
// it exists, the record itself: created (the state before the first change,
// or the current state), then each update and the delete.
func (tx *Tx) recordHistory(ctx context.Context, tenantID, id int64) ([]vintry.HistoryEvent, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT c.op, COALESCE(c.old_quantity, ''), COALESCE(ou.name, ''), c.new_quantity, nu.name, c.job_id, c.record_job_id, c.record_created_at, c.changed_at,
			COALESCE(cu.email, ju.email, ''), COALESCE(ru.email, '')
		FROM inventory_changes c LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id`+changeUsers+`
		WHERE c.tenant_id = ? AND c.record_id = ? ORDER BY c.id`, tenantID, id)
	if err != nil {
		return nil, err
	}
	var changes []store.HistoryChange
	for rows.Next() {
		var h historyRow
		if err := rows.Scan(&h.op, &h.oldQty, &h.oldUOM, &h.newQty, &h.newUOM, &h.jobID, &h.recordJob, &h.recordCreated, &h.at, &h.by, &h.recordBy); err != nil {
			rows.Close()
			return nil, err
		}
		changes = append(changes, h.change())
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var current historyRow
	err = tx.QueryRowContext(ctx, `SELECT inv.quantity, u.name, inv.created_job_id, inv.created_at, COALESCE(ru.email, '')
		FROM inventory inv JOIN uoms u ON u.id = inv.uom_id
			LEFT JOIN import_jobs rj ON rj.id = inv.created_job_id LEFT JOIN users ru ON ru.id = rj.user_id
		WHERE inv.tenant_id = ? AND inv.id = ?`, tenantID, id).
		Scan(&current.newQty, &current.newUOM, &current.recordJob, &current.recordCreated, &current.recordBy)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if !exists && len(changes) == 0 {
		return nil, nil
	}
	return store.BuildHistory(id, changes, current.record()), nil
}

// change returns the row as a stored change.
func (h historyRow) change() store.HistoryChange {
	return store.HistoryChange{Op: h.op, OldQuantity: quantityPtr(h.oldQty), OldUOM: h.oldUOM,
		NewQuantity: quantityPtr(h.newQty.String), NewUOM: h.newUOM.String, JobID: h.jobID.Int64,
		RecordJobID: h.recordJob.Int64, RecordCreatedAt: parseTime(h.recordCreated), At: parseTime(h.at),
		By: h.by, RecordBy: h.recordBy}
}

// changeUsers joins a change (c) to the users who made it (cu: a batch
// delete's, ju: its job's) and who created its record (ru).
const changeUsers = `
		LEFT JOIN users cu ON cu.id = c.user_id
		LEFT JOIN import_jobs j ON j.id = c.job_id LEFT JOIN users ju ON ju.id = j.user_id
		LEFT JOIN import_jobs rj ON rj.id = c.record_job_id LEFT JOIN users ru ON ru.id = rj.user_id`

// record returns the row as a record's current state.
func (h historyRow) record() store.HistoryRecord {
	return store.HistoryRecord{Quantity: quantityPtr(h.newQty.String), UOM: h.newUOM.String,
		JobID: h.recordJob.Int64, CreatedAt: parseTime(h.recordCreated), By: h.recordBy}
}

// quantityPtr returns a stored quantity as a decimal, nil for NULL.
func quantityPtr(s string) *decimal.Decimal {
	q, err := decimal.NewFromString(s)
	if err != nil {
		return nil
	}
	return &q
}

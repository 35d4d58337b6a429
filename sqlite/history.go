package sqlite

import (
	"context"
	"sort"
	"strings"

	"github.com/vintry/vintry"
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

package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

const inventoryJoins = `
	FROM inventory inv
	JOIN items i ON i.id = inv.item_id
	JOIN bins b ON b.id = inv.bin_id
	JOIN location_areas a ON a.id = b.area_id
	JOIN locations l ON l.id = a.location_id
	JOIN lots lt ON lt.id = inv.lot_id`

// DeleteInventory implements vintry.InventoryWriter. It holds the tenant's
// write lock, so it never interleaves with an import of the tenant.
func (db *DB) DeleteInventory(ctx context.Context, req vintry.DeleteRequest) (int, error) {
	var n int
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if err := tx.lockTenant(ctx, lockWrite, tenantID); err != nil {
			return err
		}
		ids, err := tx.selectForDelete(ctx, tenantID, req)
		if err != nil {
			return err
		}
		n = len(ids)
		if req.DryRun || n == 0 {
			return nil
		}
		return tx.deleteRecords(ctx, tenantID, ids, 0)
	})
	return n, err
}

// selectForDelete returns the ids of the records a delete request selects,
// ascending: rows are ORed (each row's fields ANDed); filters are ANDed
// (each list ORed).
func (tx *Tx) selectForDelete(ctx context.Context, tenantID int64, req vintry.DeleteRequest) ([]int64, error) {
	var rows pgx.Rows
	var err error
	if len(req.Rows) > 0 {
		rows, err = tx.selectRowsForDelete(ctx, tenantID, req.Rows)
	} else {
		rows, err = tx.selectFilterForDelete(ctx, tenantID, req.Filter)
	}
	if err != nil || rows == nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// deleteRowsSQL matches records against parallel arrays of delete rows, in
// which an empty field matches anything.
const deleteRowsSQL = `
	SELECT DISTINCT inv.id` + inventoryJoins + `
	JOIN unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
	     AS r (item, location, location_area, bin, lot, date_filled)
	  ON i.name = r.item
	 AND (r.location = '' OR l.name = r.location)
	 AND (r.location_area = '' OR a.name = r.location_area)
	 AND (r.bin = '' OR b.name = r.bin)
	 AND (r.lot = '' OR lt.name = r.lot)
	 AND (r.date_filled = '' OR inv.date_filled = NULLIF(r.date_filled, '')::date)
	WHERE inv.tenant_id = $1
	ORDER BY inv.id`

// selectRowsForDelete queries the records delete rows select; nil rows when
// no row can match anything.
func (tx *Tx) selectRowsForDelete(ctx context.Context, tenantID int64, rows []vintry.DeleteRow) (pgx.Rows, error) {
	var cols [6][]string
	for _, r := range rows {
		fields := [6]string{r.Item, r.Location, r.LocationArea, r.Bin, r.Lot, r.DateFilled}
		// A row naming a value no record can have (not text, not a date)
		// matches nothing.
		if slices.ContainsFunc(fields[:], func(s string) bool { return !validText(s) }) || !optionalDate(r.DateFilled) {
			continue
		}
		for i, f := range fields {
			cols[i] = append(cols[i], f)
		}
	}
	if len(cols[0]) == 0 {
		return nil, nil
	}
	return tx.Query(ctx, deleteRowsSQL, tenantID, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5])
}

// selectFilterForDelete queries the records a filter selects; nil rows when
// it can match nothing.
func (tx *Tx) selectFilterForDelete(ctx context.Context, tenantID int64, f vintry.DeleteFilter) (pgx.Rows, error) {
	where := []string{"inv.tenant_id = $1"}
	args := []any{tenantID}
	for _, c := range []struct {
		column string
		values []string
	}{{"i.name", f.Items}, {"l.name", f.Locations}, {"a.name", f.LocationAreas}, {"b.name", f.Bins}, {"lt.name", f.Lots}} {
		if len(c.values) == 0 {
			continue
		}
		values := validTexts(c.values)
		if len(values) == 0 {
			return nil, nil
		}
		args = append(args, values)
		where = append(where, fmt.Sprintf("%s = ANY($%d)", c.column, len(args)))
	}
	for _, c := range []struct{ cmp, value string }{{">=", f.DateFrom}, {"<=", f.DateTo}} {
		if c.value != "" {
			args = append(args, c.value)
			where = append(where, fmt.Sprintf("inv.date_filled %s $%d::date", c.cmp, len(args)))
		}
	}
	return tx.Query(ctx, `SELECT inv.id`+inventoryJoins+` WHERE `+strings.Join(where, " AND ")+` ORDER BY inv.id`, args...)
}

// optionalDate reports whether d is empty or a date a record can have.
func optionalDate(d string) bool {
	_, msg := importer.ParseDate(d)
	return d == "" || msg == ""
}

// deleteRecords deletes the records and writes each one's last state to
// history, in one statement. jobID is the job that deletes (a revert), 0
// for a batch delete.
func (tx *Tx) deleteRecords(ctx context.Context, tenantID int64, ids []int64, jobID int64) error {
	var job, user *int64 // job NULL for a batch delete, whose user is recorded
	if jobID != 0 {
		job = &jobID
	} else if tx.principal.UserID != 0 {
		user = &tx.principal.UserID
	}
	_, err := tx.Exec(ctx, `
		WITH gone AS (
			DELETE FROM inventory WHERE tenant_id = $1 AND id = ANY($2)
			RETURNING id, item_id, bin_id, lot_id, date_filled, quantity, uom_id, created_at, created_job_id
		)
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, record_created_at, record_job_id, changed_at, job_id, user_id)
		SELECT $1, id, item_id, bin_id, lot_id, date_filled, 'delete', quantity, uom_id, created_at, created_job_id, $3, $4::bigint, $5::bigint
		FROM gone ORDER BY id`, tenantID, ids, tx.now, job, user)
	return err
}

// value returns *p, or the zero value for nil.
func value[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/vintry/vintry"
)

const inventorySelect = `
	SELECT inv.id, i.name, b.name, a.name, l.name, lt.name, inv.date_filled, inv.quantity,
	       u.name, u.abbreviation, inv.created_at, inv.updated_at, COALESCE(inv.last_job_id, 0)
	FROM inventory inv
	JOIN items i ON i.id = inv.item_id
	JOIN bins b ON b.id = inv.bin_id
	JOIN location_areas a ON a.id = b.area_id
	JOIN locations l ON l.id = a.location_id
	JOIN lots lt ON lt.id = inv.lot_id
	JOIN uoms u ON u.id = inv.uom_id`

// inventoryWhere returns the WHERE clause (without the cursor) for f, and
// false when f names a value no record can have.
func inventoryWhere(tenantID int64, f vintry.InventoryFilter) (string, []any, bool) {
	where := ` WHERE inv.tenant_id = $1`
	args := []any{tenantID}
	possible := true
	add := func(cond, v string) {
		if v == "" {
			return
		}
		if !validText(v) {
			possible = false
			return
		}
		args = append(args, v)
		where += ` AND ` + fmt.Sprintf(cond, len(args))
	}
	add(`i.name = $%d`, f.Item)
	add(`b.name = $%d`, f.Bin)
	add(`lt.name = $%d`, f.Lot)
	add(`l.name = $%d`, f.Location)
	add(`a.name = $%d`, f.LocationArea)
	add(`inv.date_filled >= $%d::date`, f.DateFrom)
	add(`inv.date_filled <= $%d::date`, f.DateTo)
	return where, args, possible
}

// FindInventory implements vintry.InventoryService.
func (db *DB) FindInventory(ctx context.Context, f vintry.InventoryFilter, page vintry.PageRequest) ([]vintry.InventoryRecord, vintry.Page, error) {
	var records []vintry.InventoryRecord
	var p vintry.Page
	err := db.view(ctx, func(tx *Tx) error {
		records = nil
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		where, args, possible := inventoryWhere(tenantID, f)
		if !possible {
			records, p = vintry.Paginate(page, 0, records, func(x *vintry.InventoryRecord) int64 { return x.ID })
			return nil
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (`+inventorySelect+where+`) AS matching`, args...).Scan(&total); err != nil {
			return err
		}
		n := len(args)
		rows, err := tx.Query(ctx, inventorySelect+where+fmt.Sprintf(` AND inv.id > $%d ORDER BY inv.id LIMIT $%d`, n+1, n+2),
			append(args, page.Cursor.AfterID, page.PerPage+1)...)
		if err != nil {
			return err
		}
		if records, err = pgx.CollectRows(rows, scanInventory); err != nil {
			return err
		}
		records, p = vintry.Paginate(page, total, records, func(x *vintry.InventoryRecord) int64 { return x.ID })
		return nil
	})
	return records, p, err
}

func scanInventory(row pgx.CollectableRow) (vintry.InventoryRecord, error) {
	var r vintry.InventoryRecord
	var qty pgtype.Numeric
	var date time.Time
	err := row.Scan(&r.ID, &r.ItemName, &r.BinName, &r.LocationAreaName, &r.LocationName, &r.LotName,
		&date, &qty, &r.UOMName, &r.UOMAbbr, &r.CreatedAt, &r.UpdatedAt, &r.LastJobID)
	if err != nil {
		return r, err
	}
	var ok bool
	if r.Quantity, ok = decimalOf(qty); !ok {
		return r, fmt.Errorf("inventory record %d has no quantity", r.ID)
	}
	r.DateFilled = dateText(date)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

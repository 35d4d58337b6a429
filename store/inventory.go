package store

import (
	"context"

	"github.com/shopspring/decimal"
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

// inventoryWhere returns the WHERE clause (without the cursor) for f. The
// dates were checked (YYYY-MM-DD) by the caller.
func inventoryWhere(tenantID int64, f vintry.InventoryFilter) (string, []any) {
	where := ` WHERE inv.tenant_id = ?`
	args := []any{tenantID}
	add := func(cond, v string) {
		if v != "" {
			where += ` AND ` + cond
			args = append(args, v)
		}
	}
	add(`i.name = ?`, f.Item)
	add(`b.name = ?`, f.Bin)
	add(`lt.name = ?`, f.Lot)
	add(`l.name = ?`, f.Location)
	add(`a.name = ?`, f.LocationArea)
	add(`inv.date_filled >= ?`, f.DateFrom)
	add(`inv.date_filled <= ?`, f.DateTo)
	return where, args
}

// FindInventory implements vintry.InventoryService.
func (s *Service) FindInventory(ctx context.Context, f vintry.InventoryFilter, page vintry.PageRequest) ([]vintry.InventoryRecord, vintry.Page, error) {
	var records []vintry.InventoryRecord
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		records = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		where, args := inventoryWhere(tenantID, f)
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (`+inventorySelect+where+`) AS matching`, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, inventorySelect+where+` AND inv.id > ? ORDER BY inv.id LIMIT ?`,
			append(args, page.Cursor.AfterID, page.PerPage+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanInventory(rows)
			if err != nil {
				return err
			}
			records = append(records, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		records, p = vintry.Paginate(page, total, records, func(x *vintry.InventoryRecord) int64 { return x.ID })
		return nil
	})
	return records, p, err
}

func scanInventory(rows Rows) (vintry.InventoryRecord, error) {
	var r vintry.InventoryRecord
	var date Date
	var qty decimal.Decimal
	err := rows.Scan(&r.ID, &r.ItemName, &r.BinName, &r.LocationAreaName, &r.LocationName, &r.LotName,
		&date, &qty, &r.UOMName, &r.UOMAbbr, &r.CreatedAt, &r.UpdatedAt, &r.LastJobID)
	r.DateFilled, r.Quantity = string(date), qty
	return r, err
}

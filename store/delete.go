package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// DeleteInventory implements vintry.InventoryWriter. It holds the tenant's
// write lock, so it never interleaves with an import of the tenant.
func (s *Service) DeleteInventory(ctx context.Context, req vintry.DeleteRequest) (int, error) {
	var n int
	err := s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, LockWrite, tenantID); err != nil {
			return err
		}
		ids, err := selectForDelete(ctx, tx, tenantID, req)
		if n = len(ids); err != nil || req.DryRun || n == 0 {
			return err
		}
		return deleteRecords(ctx, tx, tenantID, ids, 0)
	})
	return n, err
}

// recordJoins joins a record to the names of its item, bin, area, location
// and lot.
const recordJoins = `
	JOIN bins b ON b.id = inv.bin_id
	JOIN location_areas a ON a.id = b.area_id
	JOIN locations l ON l.id = a.location_id
	JOIN lots lt ON lt.id = inv.lot_id`

// selectForDelete returns the ids of the records a delete request selects,
// ascending: rows are ORed (each row's fields ANDed, an empty one matching
// anything); filters are ANDed (each list ORed). A value no name can hold
// (not text, a control character, not a date) matches nothing.
func selectForDelete(ctx context.Context, tx *Tx, tenantID int64, req vintry.DeleteRequest) (IDs, error) {
	if len(req.Rows) > 0 {
		var rows [][6]string
		for _, r := range req.Rows {
			fields := [6]string{r.Item, r.Location, r.LocationArea, r.Bin, r.Lot, r.DateFilled}
			if !slices.ContainsFunc(fields[:], unnameable) && optionalDate(r.DateFilled) {
				rows = append(rows, fields)
			}
		}
		if len(rows) == 0 {
			return nil, nil
		}
		b, err := json.Marshal(rows)
		if err != nil {
			return nil, err
		}
		// The rows come first (CROSS JOIN keeps SQLite from reordering):
		// each finds its item by name, then the item's records.
		field := func(i int) string { return `r.value ->> ` + string(rune('0'+i)) }
		return queryIDs(ctx, tx, `
			SELECT DISTINCT inv.id FROM `+tx.Dialect.JSONRows("r")+`
			CROSS JOIN items i CROSS JOIN inventory inv`+recordJoins+`
			WHERE i.tenant_id = ? AND i.name = `+field(0)+` AND inv.tenant_id = i.tenant_id AND inv.item_id = i.id
			  AND (`+field(1)+` = '' OR l.name = `+field(1)+`)
			  AND (`+field(2)+` = '' OR a.name = `+field(2)+`)
			  AND (`+field(3)+` = '' OR b.name = `+field(3)+`)
			  AND (`+field(4)+` = '' OR lt.name = `+field(4)+`)
			  AND (`+field(5)+` = '' OR inv.date_filled = `+tx.Dialect.Date("NULLIF("+field(5)+", '')")+`)
			ORDER BY inv.id`, string(b), tenantID)
	}
	f := req.Filter
	where := []string{"inv.tenant_id = ?"}
	args := []any{tenantID}
	for _, c := range []struct {
		column string
		values []string
	}{{"i.name", f.Items}, {"l.name", f.Locations}, {"a.name", f.LocationAreas}, {"b.name", f.Bins}, {"lt.name", f.Lots}} {
		if len(c.values) == 0 {
			continue
		}
		values := slices.DeleteFunc(slices.Clone(c.values), unnameable)
		if len(values) == 0 {
			return nil, nil
		}
		where, args = append(where, tx.Dialect.In(c.column)), append(args, Strings(values))
	}
	for _, c := range []struct{ cmp, value string }{{">=", f.DateFrom}, {"<=", f.DateTo}} {
		if c.value != "" {
			where, args = append(where, "inv.date_filled "+c.cmp+" ?"), append(args, c.value)
		}
	}
	return queryIDs(ctx, tx, `SELECT inv.id FROM inventory inv JOIN items i ON i.id = inv.item_id`+recordJoins+`
		WHERE `+strings.Join(where, " AND ")+` ORDER BY inv.id`, args...)
}

// unnameable reports whether no stored name can be s (names are text
// without control characters).
func unnameable(s string) bool {
	return !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl)
}

// optionalDate reports whether d is empty or a date a record can have.
func optionalDate(d string) bool {
	_, msg := importer.ParseDate(d)
	return d == "" || msg == ""
}

// queryIDs returns the ids a query of one id column reads.
func queryIDs(ctx context.Context, tx *Tx, query string, args ...any) (IDs, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids IDs
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// deleteRecords writes each record's last state to history, then deletes
// it. jobID is the job that deletes (a revert), 0 for a batch delete, whose
// user is recorded instead.
func deleteRecords(ctx context.Context, tx *Tx, tenantID int64, ids IDs, jobID int64) error {
	var job, user *int64
	if jobID != 0 {
		job = &jobID
	} else if tx.Principal.UserID != 0 {
		user = &tx.Principal.UserID
	}
	where := `WHERE tenant_id = ? AND ` + tx.Dialect.In("id")
	if err := tx.Queue(ctx, `
		INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op,
			old_quantity, old_uom_id, job_id, record_created_at, record_job_id, changed_at, user_id)
		SELECT tenant_id, id, item_id, bin_id, lot_id, date_filled, 'delete',
			quantity, uom_id, CAST(? AS bigint), created_at, created_job_id, ?, CAST(? AS bigint)
		FROM inventory `+where+` ORDER BY id`, job, tx.Now, user, tenantID, ids); err != nil {
		return err
	}
	return tx.Queue(ctx, `DELETE FROM inventory `+where, tenantID, ids)
}

package store

import (
	"context"
	"errors"
	"time"

	"github.com/shopspring/decimal"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// FindRecordHistory implements vintry.InventoryWriter.
func (s *Service) FindRecordHistory(ctx context.Context, id int64) ([]vintry.HistoryEvent, error) {
	var events []vintry.HistoryEvent
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		events, err = recordHistory(ctx, tx, tenantID, id)
		if err == nil && len(events) == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, "Inventory record not found.")
		}
		return err
	})
	return events, err
}

// FindKeyHistory implements vintry.InventoryWriter: the history of every
// record that had the key, oldest record first.
func (s *Service) FindKeyHistory(ctx context.Context, key vintry.InventoryKey) ([]vintry.HistoryEvent, error) {
	var events []vintry.HistoryEvent
	if _, msg := importer.ParseDate(key.DateFilled); msg != "" {
		return nil, nil // no record can have that key
	}
	err := s.d.View(ctx, func(tx *Tx) error {
		events = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT record_id FROM inventory_changes c
			JOIN items i ON i.id = c.item_id JOIN bins b ON b.id = c.bin_id JOIN lots lt ON lt.id = c.lot_id
			WHERE c.tenant_id = ?1 AND i.name = ?2 AND b.name = ?3 AND lt.name = ?4 AND c.date_filled = ?5
			UNION
			SELECT inv.id FROM inventory inv
			JOIN items i ON i.id = inv.item_id JOIN bins b ON b.id = inv.bin_id JOIN lots lt ON lt.id = inv.lot_id
			WHERE inv.tenant_id = ?1 AND i.name = ?2 AND b.name = ?3 AND lt.name = ?4 AND inv.date_filled = ?5
			ORDER BY 1`, tenantID, key.Item, key.Bin, key.Lot, key.DateFilled)
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
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			ev, err := recordHistory(ctx, tx, tenantID, id)
			if err != nil {
				return err
			}
			events = append(events, ev...)
		}
		return nil
	})
	return events, err
}

// changeUsers joins a change (c) to the users who made it (cu: a batch
// delete's, ju: its job's) and who created its record (ru).
const changeUsers = `
		LEFT JOIN users cu ON cu.id = c.user_id
		LEFT JOIN import_jobs j ON j.id = c.job_id LEFT JOIN users ju ON ju.id = j.user_id
		LEFT JOIN import_jobs rj ON rj.id = c.record_job_id LEFT JOIN users ru ON ru.id = rj.user_id`

// recordHistory rebuilds a record's events from its change rows and, while
// it exists, the record itself: created (the state before the first change,
// or the current state), then each update and the delete.
func recordHistory(ctx context.Context, tx *Tx, tenantID, id int64) ([]vintry.HistoryEvent, error) {
	rows, err := tx.Query(ctx, `
		SELECT c.op, c.old_quantity, COALESCE(ou.name, ''), c.new_quantity, COALESCE(nu.name, ''),
			COALESCE(c.job_id, 0), COALESCE(c.record_job_id, 0), c.record_created_at, c.changed_at,
			COALESCE(cu.email, ju.email, ''), COALESCE(ru.email, '')
		FROM inventory_changes c LEFT JOIN uoms ou ON ou.id = c.old_uom_id LEFT JOIN uoms nu ON nu.id = c.new_uom_id`+changeUsers+`
		WHERE c.tenant_id = ? AND c.record_id = ? ORDER BY c.id`, tenantID, id)
	if err != nil {
		return nil, err
	}
	var changes []HistoryChange
	for rows.Next() {
		var c HistoryChange
		if err := rows.Scan(&c.Op, &c.OldQuantity, &c.OldUOM, &c.NewQuantity, &c.NewUOM, &c.JobID, &c.RecordJobID,
			&c.RecordCreatedAt, &c.At, &c.By, &c.RecordBy); err != nil {
			rows.Close()
			return nil, err
		}
		changes = append(changes, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var current HistoryRecord
	var qty decimal.Decimal
	var created time.Time
	err = tx.QueryRow(ctx, `SELECT inv.quantity, u.name, COALESCE(inv.created_job_id, 0), inv.created_at, COALESCE(ru.email, '')
		FROM inventory inv JOIN uoms u ON u.id = inv.uom_id
			LEFT JOIN import_jobs rj ON rj.id = inv.created_job_id LEFT JOIN users ru ON ru.id = rj.user_id
		WHERE inv.tenant_id = ? AND inv.id = ?`, tenantID, id).
		Scan(&qty, &current.UOM, &current.JobID, &created, &current.By)
	exists := err == nil
	if err != nil && !errors.Is(err, ErrNoRows) {
		return nil, err
	}
	if !exists && len(changes) == 0 {
		return nil, nil
	}
	if exists {
		current.Quantity, current.CreatedAt = &qty, created
	}
	return buildHistory(id, changes, current), nil
}

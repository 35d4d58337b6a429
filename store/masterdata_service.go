package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/vintry/vintry"
)

// kindSpec is a kind's table (kindTables) with its SQL.
type kindSpec struct{ kindTable }

// specOf returns the table of kind k.
func specOf(k vintry.Kind) kindSpec { return kindSpec{kindTables[k]} }

// selectSQL returns the query for entries of the kind, with the parent's name.
func (s kindSpec) selectSQL() string {
	cols := "t.id, t.name, t.description, t.created_at, t.updated_at"
	for _, c := range s.Extra {
		cols += ", t." + c
	}
	if s.ParentTable == "" {
		return "SELECT " + cols + ", '' FROM " + s.Table + " t"
	}
	return "SELECT " + cols + ", p.name FROM " + s.Table + " t JOIN " + s.ParentTable + " p ON p.id = t." + s.ParentCol
}

func (s kindSpec) scan(row Row) (vintry.MasterEntry, error) {
	var e vintry.MasterEntry
	dest := []any{&e.ID, &e.Name, &e.Description, &e.CreatedAt, &e.UpdatedAt}
	for _, c := range s.Extra {
		dest = append(dest, entryField(&e, c))
	}
	dest = append(dest, &e.ParentName)
	err := row.Scan(dest...)
	return e, err
}

// FindMasterEntries implements vintry.MasterDataService.
func (s *Service) FindMasterEntries(ctx context.Context, k vintry.Kind, page vintry.PageRequest) ([]vintry.MasterEntry, vintry.Page, error) {
	spec := specOf(k)
	var entries []vintry.MasterEntry
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		entries = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+spec.Table+` WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, spec.selectSQL()+` WHERE t.tenant_id = ? AND t.id > ? ORDER BY t.id LIMIT ?`,
			tenantID, page.Cursor.AfterID, page.PerPage+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e, err := spec.scan(rows)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		entries, p = vintry.Paginate(page, total, entries, func(x *vintry.MasterEntry) int64 { return x.ID })
		return nil
	})
	return entries, p, err
}

// upsertBatch collects field errors over a batch of upserts; the batch is
// all or nothing, so the first error decides the message and the
// transaction is rolled back if any occurred.
type upsertBatch struct {
	tx     *Tx
	result vintry.UpsertResult
	errs   vintry.FieldErrors
}

// writeBatch starts a batch of master data writes for the principal's
// tenant, holding the tenant's write lock.
func writeBatch(ctx context.Context, tx *Tx) (*upsertBatch, int64, error) {
	tenantID, err := tx.TenantID()
	if err != nil {
		return nil, 0, err
	}
	if err := tx.Lock(ctx, LockWrite, tenantID); err != nil {
		return nil, 0, err
	}
	return &upsertBatch{tx: tx}, tenantID, nil
}

// UpsertMasterEntries implements vintry.MasterDataService.
func (s *Service) UpsertMasterEntries(ctx context.Context, k vintry.Kind, entries []vintry.MasterEntry) (vintry.UpsertResult, error) {
	var result vintry.UpsertResult
	err := s.d.Update(ctx, func(tx *Tx) error {
		b, _, err := writeBatch(ctx, tx)
		if err != nil {
			return err
		}
		for i := range entries {
			if err := b.upsert(ctx, k, &entries[i], fmt.Sprintf("%d.", i)); err != nil {
				return err
			}
		}
		result = b.result
		return b.errs.Err()
	})
	return result, err
}

// ImportLocationFeed implements vintry.MasterDataService.
func (s *Service) ImportLocationFeed(ctx context.Context, rows []vintry.LocationFeedRow) (vintry.UpsertResult, error) {
	var result vintry.UpsertResult
	sorted := feedParentsFirst(rows)
	err := s.d.Update(ctx, func(tx *Tx) error {
		b, _, err := writeBatch(ctx, tx)
		if err != nil {
			return err
		}
		for i := range sorted {
			r := &sorted[i]
			kind, prefix, ok := feedRowKind(r, &b.errs)
			if !ok {
				continue
			}
			if err := b.upsert(ctx, kind, &r.Entry, prefix); err != nil {
				return err
			}
		}
		result = b.result
		return b.errs.Err()
	})
	return result, err
}

// upsert creates or updates one entry by name. Validation problems are
// recorded in the batch; only storage failures are returned.
func (b *upsertBatch) upsert(ctx context.Context, k vintry.Kind, e *vintry.MasterEntry, prefix string) error {
	e.Normalize()
	if fields := e.Validate(k, prefix); len(fields) > 0 {
		b.errs.AddAll(fields)
		return nil
	}
	spec := specOf(k)
	tenantID, err := b.tx.TenantID()
	if err != nil {
		return err
	}
	var parentID int64
	if spec.ParentTable != "" {
		if parentID, err = b.findID(ctx, spec.ParentTable, tenantID, e.ParentName); err != nil {
			return err
		} else if parentID == 0 {
			b.errs.Add(prefix+"parent_name", fmt.Sprintf("%s with name '%s' does not exist", k.Parent().Noun(), e.ParentName))
			return nil
		}
	}
	if k == vintry.KindUOM {
		if ok, err := b.checkAbbreviation(ctx, tenantID, e, prefix); err != nil || !ok {
			return err
		}
	}
	existing, err := spec.scan(b.tx.QueryRow(ctx, spec.selectSQL()+` WHERE t.tenant_id = ? AND t.name = ?`, tenantID, e.Name))
	switch {
	case errors.Is(err, ErrNoRows):
		b.result.Created++
		return b.insert(ctx, spec, tenantID, parentID, e)
	case err != nil:
		return err
	case existing.SameAs(e):
		b.result.Unchanged++
		return nil
	}
	b.result.Updated++
	e.ID = existing.ID
	return b.updateEntry(ctx, spec, parentID, e)
}

// checkAbbreviation reports whether e's abbreviation is free (or already e's).
func (b *upsertBatch) checkAbbreviation(ctx context.Context, tenantID int64, e *vintry.MasterEntry, prefix string) (bool, error) {
	var other string
	err := b.tx.QueryRow(ctx, `SELECT name FROM uoms WHERE tenant_id = ? AND abbreviation = ? AND name <> ?`,
		tenantID, e.Abbreviation, e.Name).Scan(&other)
	if errors.Is(err, ErrNoRows) {
		return true, nil
	} else if err != nil {
		return false, err
	}
	b.errs.Add(prefix+"abbreviation", fmt.Sprintf("The abbreviation '%s' is already used by UOM '%s'.", e.Abbreviation, other))
	return false, nil
}

// findID returns the id of the tenant's entry named name in table, 0 when
// there is none.
func (b *upsertBatch) findID(ctx context.Context, table string, tenantID int64, name string) (int64, error) {
	var id int64
	err := b.tx.QueryRow(ctx, `SELECT id FROM `+table+` WHERE tenant_id = ? AND name = ?`, tenantID, name).Scan(&id)
	if errors.Is(err, ErrNoRows) {
		return 0, nil
	}
	return id, err
}

func (b *upsertBatch) insert(ctx context.Context, spec kindSpec, tenantID, parentID int64, e *vintry.MasterEntry) error {
	cols := []string{"tenant_id", "name", "name_fold", "description", "created_at", "updated_at"}
	args := []any{tenantID, e.Name, vintry.FoldName(e.Name), e.Description, b.tx.Now, b.tx.Now}
	cols, args = spec.writeColumns(cols, args, parentID, e)
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	_, err := b.tx.Exec(ctx, `INSERT INTO `+spec.Table+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`, args...)
	return err
}

func (b *upsertBatch) updateEntry(ctx context.Context, spec kindSpec, parentID int64, e *vintry.MasterEntry) error {
	cols := []string{"description", "updated_at"}
	args := []any{e.Description, b.tx.Now}
	cols, args = spec.writeColumns(cols, args, parentID, e)
	set := strings.Join(cols, " = ?, ") + " = ?"
	_, err := b.tx.Exec(ctx, `UPDATE `+spec.Table+` SET `+set+` WHERE id = ?`, append(args, e.ID)...)
	return err
}

// writeColumns appends the kind's parent and extra columns and their values.
func (s kindSpec) writeColumns(cols []string, args []any, parentID int64, e *vintry.MasterEntry) ([]string, []any) {
	if s.ParentCol != "" {
		cols, args = append(cols, s.ParentCol), append(args, parentID)
	}
	for _, c := range s.Extra {
		cols, args = append(cols, c), append(args, *entryField(e, c))
	}
	if s.Table == "uoms" {
		cols, args = append(cols, "abbreviation_fold"), append(args, vintry.FoldName(e.Abbreviation))
	}
	return cols, args
}

// usage says which table refers to entries of a kind, in conflict messages.
type usage struct {
	table, column, noun string
}

var usages = map[vintry.Kind][]usage{
	vintry.KindLocation:     {{"location_areas", "location_id", "location areas"}},
	vintry.KindLocationArea: {{"bins", "area_id", "bins"}},
	vintry.KindBin:          {{"inventory", "bin_id", "inventory records"}},
	vintry.KindItem:         {{"inventory", "item_id", "inventory records"}},
	vintry.KindLot:          {{"inventory", "lot_id", "inventory records"}},
	vintry.KindUOM:          {{"inventory", "uom_id", "inventory records"}},
}

// DeleteMasterEntry implements vintry.MasterDataService.
func (s *Service) DeleteMasterEntry(ctx context.Context, k vintry.Kind, name string) error {
	spec := specOf(k)
	return s.d.Update(ctx, func(tx *Tx) error {
		b, tenantID, err := writeBatch(ctx, tx)
		if err != nil {
			return err
		}
		id, err := b.findID(ctx, spec.Table, tenantID, name)
		if err != nil {
			return err
		} else if id == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, "%s with name '%s' does not exist", k.Noun(), name)
		}
		for _, u := range usages[k] {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+u.table+` WHERE `+u.column+` = ?`, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return vintry.Errorf(vintry.ECONFLICT, "%s '%s' is used by %d %s.", k.Noun(), name, n, u.noun)
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM `+spec.Table+` WHERE id = ?`, id)
		return err
	})
}

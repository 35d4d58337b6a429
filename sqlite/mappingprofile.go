package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/vintry/vintry"
)

const mappingProfileSelect = `SELECT id, name, field_mappings, created_by, updated_by, created_at, updated_at
	FROM mapping_profiles`

func scanMappingProfile(row interface{ Scan(...any) error }) (vintry.MappingProfile, error) {
	var p vintry.MappingProfile
	var created, updated string
	err := row.Scan(&p.ID, &p.Name, &p.FieldMappings, &p.CreatedBy, &p.UpdatedBy, &created, &updated)
	p.CreatedAt, p.UpdatedAt = parseTime(created), parseTime(updated)
	return p, err
}

// FindMappingProfiles implements vintry.MappingProfileService.
func (db *DB) FindMappingProfiles(ctx context.Context, page vintry.PageRequest) ([]vintry.MappingProfile, vintry.Page, error) {
	var out []vintry.MappingProfile
	var p vintry.Page
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM mapping_profiles WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, mappingProfileSelect+` WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
			tenantID, page.Cursor.AfterID, page.PerPage+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			mp, err := scanMappingProfile(rows)
			if err != nil {
				return err
			}
			out = append(out, mp)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out, p = vintry.Paginate(page, total, out, func(x *vintry.MappingProfile) int64 { return x.ID })
		return nil
	})
	return out, p, err
}

// FindMappingProfile implements vintry.MappingProfileService.
func (db *DB) FindMappingProfile(ctx context.Context, name string) (*vintry.MappingProfile, error) {
	var mp vintry.MappingProfile
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		mp, err = scanMappingProfile(tx.QueryRowContext(ctx, mappingProfileSelect+` WHERE tenant_id = ? AND name_fold = ?`,
			tenantID, vintry.FoldName(name)))
		if errors.Is(err, sql.ErrNoRows) {
			return vintry.MappingProfileNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &mp, nil
}

// SaveMappingProfile implements vintry.MappingProfileService.
func (db *DB) SaveMappingProfile(ctx context.Context, in vintry.MappingProfile) (*vintry.MappingProfile, bool, error) {
	var mp vintry.MappingProfile
	var created bool
	err := db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		fold := vintry.FoldName(in.Name)
		var exists bool
		var total int
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM mapping_profiles WHERE tenant_id = ? AND name_fold = ?),
			(SELECT count(*) FROM mapping_profiles WHERE tenant_id = ?)`, tenantID, fold, tenantID).Scan(&exists, &total); err != nil {
			return err
		}
		if !exists && total >= vintry.MaxMappingProfiles {
			return vintry.FieldError("name", fmt.Sprintf("A tenant keeps at most %d mapping profiles; delete one first.", vintry.MaxMappingProfiles))
		}
		created = !exists
		now, user := formatTime(tx.now), tx.principal.UserID
		if _, err := tx.ExecContext(ctx, `INSERT INTO mapping_profiles
			(tenant_id, name, name_fold, field_mappings, created_by, updated_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, name_fold) DO UPDATE SET name = excluded.name,
				field_mappings = excluded.field_mappings, updated_by = excluded.updated_by, updated_at = excluded.updated_at`,
			tenantID, in.Name, fold, in.FieldMappings, user, user, now, now); err != nil {
			return err
		}
		mp, err = scanMappingProfile(tx.QueryRowContext(ctx, mappingProfileSelect+` WHERE tenant_id = ? AND name_fold = ?`, tenantID, fold))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return &mp, created, nil
}

// DeleteMappingProfile implements vintry.MappingProfileService.
func (db *DB) DeleteMappingProfile(ctx context.Context, name string) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM mapping_profiles WHERE tenant_id = ? AND name_fold = ?`, tenantID, vintry.FoldName(name))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = vintry.MappingProfileNotFound(name)
			}
			return err
		}
		return nil
	})
}

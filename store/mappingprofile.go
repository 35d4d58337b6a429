package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/vintry/vintry"
)

const mappingProfileColumns = `id, name, field_mappings, created_by, updated_by, created_at, updated_at`

func scanMappingProfile(row Row) (vintry.MappingProfile, error) {
	var p vintry.MappingProfile
	err := row.Scan(&p.ID, &p.Name, &p.FieldMappings, &p.CreatedBy, &p.UpdatedBy, &p.CreatedAt, &p.UpdatedAt)
	return p, err
}

// FindMappingProfiles implements vintry.MappingProfileService.
func (s *Service) FindMappingProfiles(ctx context.Context, page vintry.PageRequest) ([]vintry.MappingProfile, vintry.Page, error) {
	var out []vintry.MappingProfile
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		out = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM mapping_profiles WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+mappingProfileColumns+` FROM mapping_profiles WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
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
func (s *Service) FindMappingProfile(ctx context.Context, name string) (*vintry.MappingProfile, error) {
	var mp vintry.MappingProfile
	err := s.d.View(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		mp, err = scanMappingProfile(tx.QueryRow(ctx, `SELECT `+mappingProfileColumns+` FROM mapping_profiles
			WHERE tenant_id = ? AND name_fold = ?`, tenantID, vintry.FoldName(name)))
		if errors.Is(err, ErrNoRows) {
			return vintry.MappingProfileNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &mp, nil
}

// SaveMappingProfile implements vintry.MappingProfileService. The tenant's
// profile lock makes the limit on the number of profiles exact.
func (s *Service) SaveMappingProfile(ctx context.Context, in vintry.MappingProfile) (*vintry.MappingProfile, bool, error) {
	var mp vintry.MappingProfile
	var created bool
	err := s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, LockProfiles, tenantID); err != nil {
			return err
		}
		fold := vintry.FoldName(in.Name)
		var exists bool
		var total int
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM mapping_profiles WHERE tenant_id = ?1 AND name_fold = ?2),
			(SELECT count(*) FROM mapping_profiles WHERE tenant_id = ?1)`, tenantID, fold).Scan(&exists, &total); err != nil {
			return err
		}
		if !exists && total >= vintry.MaxMappingProfiles {
			return vintry.FieldError("name", fmt.Sprintf("A tenant keeps at most %d mapping profiles; delete one first.", vintry.MaxMappingProfiles))
		}
		created = !exists
		mp, err = scanMappingProfile(tx.QueryRow(ctx, `INSERT INTO mapping_profiles
			(tenant_id, name, name_fold, field_mappings, created_by, updated_by, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?6)
			ON CONFLICT (tenant_id, name_fold) DO UPDATE SET name = excluded.name,
				field_mappings = excluded.field_mappings, updated_by = excluded.updated_by, updated_at = excluded.updated_at
			RETURNING `+mappingProfileColumns, tenantID, in.Name, fold, in.FieldMappings, tx.Principal.UserID, tx.Now))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return &mp, created, nil
}

// DeleteMappingProfile implements vintry.MappingProfileService.
func (s *Service) DeleteMappingProfile(ctx context.Context, name string) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM mapping_profiles WHERE tenant_id = ? AND name_fold = ?`, tenantID, vintry.FoldName(name))
		if err != nil {
			return err
		}
		if n == 0 {
			return vintry.MappingProfileNotFound(name)
		}
		return nil
	})
}

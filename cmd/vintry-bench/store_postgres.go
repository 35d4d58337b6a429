package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgStore is a pair of fresh schemas in a PostgreSQL database: one for the
// server (its search_path), one for the physical limit's scratch table.
type pgStore struct {
	base    string // the --database URL as given
	schema  string // the server's schema
	scratch string // the physical limit's schema
	keep    bool
	conn    *pgx.Conn // the benchmark's own connection, on base
}

// newPGStore creates the run's schemas; their names are short and random, so
// runs never share state and River accepts the name.
func newPGStore(ctx context.Context, base string, keep bool) (*pgStore, error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return nil, fmt.Errorf("--database: %w", err)
	}
	b := make([]byte, 4)
	rand.Read(b)
	s := &pgStore{base: base, schema: "vbench_" + hex.EncodeToString(b), keep: keep, conn: conn}
	s.scratch = s.schema + "_phys"
	for _, name := range []string{s.schema, s.scratch} {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{name}.Sanitize()); err != nil {
			conn.Close(ctx)
			return nil, fmt.Errorf("create schema %s: %w", name, err)
		}
	}
	return s, nil
}

// withSearchPath is base with search_path set to schema.
func withSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func (s *pgStore) flags() []string {
	u, _ := withSearchPath(s.base, s.schema) // parsed once already by newPGStore's connect
	return []string{"--database", u}
}

func (s *pgStore) close(ctx context.Context) error {
	defer s.conn.Close(ctx)
	if s.keep {
		return nil
	}
	var errs []error
	for _, name := range []string{s.scratch, s.schema} {
		if _, err := s.conn.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{name}.Sanitize()+` CASCADE`); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openPhysical creates the scratch inventory table as a copy of the live one
// (columns, defaults, identity, constraints, indexes, and the same foreign
// keys to the live master data), on a connection of its own.
func (s *pgStore) openPhysical(ctx context.Context, jobID int64) (upserter, *masterIDs, error) {
	dsn, err := withSearchPath(s.base, s.scratch+","+s.schema)
	if err != nil {
		return nil, nil, err
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	if err := s.copyInventoryTable(ctx, conn); err != nil {
		conn.Close(ctx)
		return nil, nil, err
	}
	query := func(ctx context.Context, q string, arg any) (map[string]int64, error) {
		rows, err := conn.Query(ctx, q, arg)
		if err != nil {
			return nil, err
		}
		return scanPairs(pgRows{rows})
	}
	ids, err := loadIDs(ctx, query, "$1", jobID)
	if err != nil {
		conn.Close(ctx)
		return nil, nil, err
	}
	return &pgUpserter{conn: conn, tenant: ids.tenant, job: ids.job}, ids, nil
}

// copyInventoryTable creates scratch.inventory LIKE the live one and adds
// the live table's foreign keys. conn's search_path starts with the scratch
// schema, so pg_get_constraintdef qualifies the live tables it references.
func (s *pgStore) copyInventoryTable(ctx context.Context, conn *pgx.Conn) error {
	live := pgx.Identifier{s.schema, "inventory"}.Sanitize()
	scratch := pgx.Identifier{s.scratch, "inventory"}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE TABLE `+scratch+` (LIKE `+live+` INCLUDING ALL)`); err != nil {
		return fmt.Errorf("scratch inventory table: %w", err)
	}
	if _, err := conn.Exec(ctx, `SET search_path = `+pgx.Identifier{s.scratch}.Sanitize()); err != nil {
		return err
	}
	rows, err := conn.Query(ctx, `SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = $1::regclass AND contype = 'f'`, live)
	if err != nil {
		return err
	}
	fks, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ Name, Def string }])
	if err != nil {
		return err
	}
	for _, fk := range fks {
		if _, err := conn.Exec(ctx, `ALTER TABLE `+scratch+` ADD CONSTRAINT `+pgx.Identifier{fk.Name}.Sanitize()+` `+fk.Def); err != nil {
			return fmt.Errorf("scratch foreign key %s: %w", fk.Name, err)
		}
	}
	_, err = conn.Exec(ctx, `SET search_path = `+pgx.Identifier{s.scratch}.Sanitize()+`, `+pgx.Identifier{s.schema}.Sanitize())
	return err
}

// pgRows adapts pgx.Rows (whose Close returns nothing) to scanPairs.
type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error { r.Rows.Close(); return nil }

// pgUpserter upserts as STACK.md found fastest: COPY into a temporary table,
// then one INSERT … SELECT … ON CONFLICT DO UPDATE.
type pgUpserter struct {
	conn        *pgx.Conn
	tenant, job int64
}

const (
	pgStage = `CREATE TEMP TABLE bench_stage (item_id bigint, bin_id bigint, lot_id bigint, date_filled text,
		quantity text, uom_id bigint) ON COMMIT DROP`
	pgMerge = `
		INSERT INTO inventory (tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
			created_at, updated_at, last_job_id, created_job_id)
		SELECT $1, item_id, bin_id, lot_id, date_filled::date, quantity::numeric, uom_id, $2, $2, $3, $3 FROM bench_stage
		ON CONFLICT (tenant_id, item_id, bin_id, lot_id, date_filled) DO UPDATE
		SET quantity = excluded.quantity, uom_id = excluded.uom_id, updated_at = excluded.updated_at,
			last_job_id = excluded.last_job_id`
)

var pgStageColumns = []string{"item_id", "bin_id", "lot_id", "date_filled", "quantity", "uom_id"}

func (u *pgUpserter) upsert(ctx context.Context, rows []physRow) error {
	tx, err := u.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, pgStage); err != nil {
		return err
	}
	src := pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
		r := &rows[i]
		return []any{r.item, r.bin, r.lot, r.date, r.quantity, r.uom}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_stage"}, pgStageColumns, src); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, pgMerge, u.tenant, time.Now(), u.job); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (u *pgUpserter) close() error { return u.conn.Close(context.Background()) }

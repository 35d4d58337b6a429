package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // the driver vintry uses
)

// sqliteStore is an embedded SQLite database in a data dir.
type sqliteStore struct {
	dir     string // the --data-dir of the server
	scratch string // the scratch copy for the physical limit
}

func (s *sqliteStore) flags() []string { return []string{"--data-dir", s.dir} }

func (s *sqliteStore) close(context.Context) error { return nil } // the work dir goes with the run

// sqliteDSN is the DSN of vintry's write connection (sqlite/db.go): the same
// pragmas, BEGIN IMMEDIATE transactions.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// openPhysical snapshots the live database with VACUUM INTO — the same
// schema, tenant, master data and ids, taken from a consistent read while the
// server runs — and opens the copy as vintry opens its database.
func (s *sqliteStore) openPhysical(ctx context.Context, jobID int64) (upserter, *masterIDs, error) {
	live, err := sql.Open("sqlite", sqliteDSN(filepath.Join(s.dir, "vintry.db")))
	if err != nil {
		return nil, nil, err
	}
	_, err = live.ExecContext(ctx, `VACUUM INTO ?`, s.scratch)
	live.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot of the live database: %w", err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(s.scratch))
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	query := func(ctx context.Context, q string, arg any) (map[string]int64, error) {
		rows, err := db.QueryContext(ctx, q, arg)
		if err != nil {
			return nil, err
		}
		return scanPairs(rows)
	}
	ids, err := loadIDs(ctx, query, "?", jobID)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return &sqliteUpserter{db: db, tenant: ids.tenant, job: ids.job}, ids, nil
}

// sqliteUpserter upserts through database/sql and modernc.org/sqlite.
type sqliteUpserter struct {
	db          *sql.DB
	tenant, job int64
}

// sqliteUpsert is the one statement of the physical limit: insert a record,
// or on its key update what an import updates.
const sqliteUpsert = `
	INSERT INTO inventory (tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id,
		created_at, updated_at, last_job_id, created_job_id)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (tenant_id, item_id, bin_id, lot_id, date_filled) DO UPDATE
	SET quantity = excluded.quantity, uom_id = excluded.uom_id, updated_at = excluded.updated_at,
		last_job_id = excluded.last_job_id`

// upsert writes rows in one BEGIN IMMEDIATE transaction with one prepared
// statement.
func (u *sqliteUpserter) upsert(ctx context.Context, rows []physRow) error {
	tx, err := u.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, sqliteUpsert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, u.tenant, r.item, r.bin, r.lot, r.date, r.quantity, r.uom,
			now, now, u.job, u.job); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (u *sqliteUpserter) close() error { return u.db.Close() }

// rowScanner is what scanPairs needs of a result set (database/sql and pgx).
type rowScanner interface {
	Next() bool
	Scan(...any) error
	Err() error
}

// scanPairs reads (name, id) rows into a map.
func scanPairs(rows interface {
	rowScanner
	Close() error
}) (map[string]int64, error) {
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			return nil, err
		}
		out[name] = id
	}
	return out, rows.Err()
}

// pairQuery runs a query with one argument that yields (name, id) rows.
type pairQuery func(ctx context.Context, query string, arg any) (map[string]int64, error)

// loadIDs reads the benchmark tenant's id and its master data ids; ph is
// the engine's placeholder for the one argument.
func loadIDs(ctx context.Context, q pairQuery, ph string, jobID int64) (*masterIDs, error) {
	tenants, err := q(ctx, `SELECT slug, id FROM tenants WHERE slug = `+ph, tenantSlug)
	if err != nil {
		return nil, err
	}
	ids := &masterIDs{tenant: tenants[tenantSlug], job: jobID}
	if ids.tenant == 0 {
		return nil, fmt.Errorf("tenant %s not found in the scratch copy", tenantSlug)
	}
	for _, t := range []struct {
		query string
		into  *map[string]int64
	}{
		{`SELECT name, id FROM items WHERE tenant_id = ` + ph, &ids.items},
		{`SELECT name, id FROM bins WHERE tenant_id = ` + ph, &ids.bins},
		{`SELECT name, id FROM lots WHERE tenant_id = ` + ph, &ids.lots},
		{`SELECT name, id FROM uoms WHERE tenant_id = ` + ph, &ids.uom},
	} {
		if *t.into, err = q(ctx, t.query, ids.tenant); err != nil {
			return nil, err
		}
	}
	abbrs, err := q(ctx, `SELECT abbreviation, id FROM uoms WHERE tenant_id = `+ph, ids.tenant)
	if err != nil {
		return nil, err
	}
	for a, id := range abbrs {
		if _, ok := ids.uom[a]; !ok {
			ids.uom[a] = id
		}
	}
	return ids, nil
}

package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestMigration5KeepsData rebuilds import_jobs and inventory_changes
// (migration 00005) under existing rows that reference them: every row
// survives, foreign keys hold, the new statuses and ops are allowed; and
// the migration goes down and up again.
func TestMigration5KeepsData(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	fsys, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	const now = "2024-01-01T00:00:00.000000Z"
	for _, q := range []string{
		`INSERT INTO tenants VALUES (1, 't', 'T', '` + now + `')`,
		`INSERT INTO users VALUES (1, 1, 'a@t', 'x', 'admin', '` + now + `')`,
		`INSERT INTO locations VALUES (1, 1, 'L', 'l', '', '` + now + `', '` + now + `')`,
		`INSERT INTO location_areas VALUES (1, 1, 1, 'A', 'a', '', '` + now + `', '` + now + `')`,
		`INSERT INTO bins (id, tenant_id, area_id, name, name_fold, created_at, updated_at) VALUES (1, 1, 1, 'B', 'b', '` + now + `', '` + now + `')`,
		`INSERT INTO items VALUES (1, 1, 'I', 'i', '', '` + now + `', '` + now + `')`,
		`INSERT INTO lots (id, tenant_id, name, name_fold, created_at, updated_at) VALUES (1, 1, 'O', 'o', '` + now + `', '` + now + `')`,
		`INSERT INTO uoms (id, tenant_id, name, name_fold, abbreviation, abbreviation_fold, created_at, updated_at) VALUES (1, 1, 'U', 'u', 'u', 'u', '` + now + `', '` + now + `')`,
		`INSERT INTO import_jobs (id, tenant_id, user_id, source, status, args, created, field_mappings, created_at) VALUES (1, 1, 1, 'csv', 'completed', '{}', 1, '{"a":"b"}', '` + now + `')`,
		`INSERT INTO import_jobs (id, tenant_id, user_id, source, status, args, created_at) VALUES (2, 1, 1, 'api', 'completed', '{}', '` + now + `')`,
		`INSERT INTO inventory (id, tenant_id, item_id, bin_id, lot_id, date_filled, quantity, uom_id, created_at, updated_at, last_job_id, created_job_id)
			VALUES (1, 1, 1, 1, 1, '2024-01-01', '5', 1, '` + now + `', '` + now + `', 2, 1)`,
		`INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op, old_quantity, old_uom_id, new_quantity, new_uom_id, job_id, record_created_at, record_job_id, changed_at)
			VALUES (1, 1, 1, 1, 1, '2024-01-01', 'update', '4', 1, '5', 1, 2, '` + now + `', 1, '` + now + `')`,
		`INSERT INTO job_files VALUES (1, 1, 'input', x'61', '` + now + `')`,
		`INSERT INTO idempotency_keys VALUES (1, 'k', x'00', 2, '` + now + `')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	check := func(when string) {
		t.Helper()
		var jobs, changes int
		var mappings string
		if err := db.QueryRowContext(ctx, `SELECT count(*), max(field_mappings) FROM import_jobs`).Scan(&jobs, &mappings); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM inventory_changes`).Scan(&changes); err != nil {
			t.Fatal(err)
		}
		if jobs != 2 || changes != 1 || mappings != `{"a":"b"}` {
			t.Errorf("%s: %d jobs (mappings %q), %d changes", when, jobs, mappings, changes)
		}
		rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
		if err != nil {
			t.Fatal(err)
		}
		if rows.Next() {
			t.Errorf("%s: foreign key violations", when)
		}
		rows.Close()
		var on int
		if err := db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
			t.Errorf("%s: foreign_keys = %d, %v", when, on, err)
		}
	}
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	check("up")
	var typ string
	if err := db.QueryRowContext(ctx, `SELECT type FROM import_jobs WHERE id = 1`).Scan(&typ); err != nil || typ != "inventory-import" {
		t.Errorf("type = %q, %v", typ, err)
	}
	for _, q := range []string{
		`UPDATE import_jobs SET status = 'cancelled' WHERE id = 2`,
		`INSERT INTO inventory_changes (tenant_id, record_id, item_id, bin_id, lot_id, date_filled, op, new_quantity, new_uom_id, job_id, record_created_at, changed_at)
			VALUES (1, 9, 1, 1, 1, '2023-01-01', 'restore', '1', 1, 1, '` + now + `', '` + now + `')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO import_jobs (tenant_id, user_id, source, status, args, created_at) VALUES (1, 1, 'api', 'bogus', '{}', '`+now+`')`); err == nil {
		t.Error("a bogus status was accepted")
	}
	if _, err := p.DownTo(ctx, 4); err != nil {
		t.Fatal(err)
	}
	check("down")
	if _, err := p.UpTo(ctx, 5); err != nil {
		t.Fatal(err)
	}
	check("up again")
}

// TestMigration8KeepsFiles rebuilds job_files keyed by part (migration
// 00008): every file becomes its part 0 byte for byte (NUL and non-UTF-8
// bytes included); going down joins a file's parts in order again; and the
// migration goes up again.
func TestMigration8KeepsFiles(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "m.db"), true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	fsys, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	const now = "2024-01-01T00:00:00.000000Z"
	input, empty := "a,b\x00\xff\r\n", ""
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 't', 'T', ?)`, now)
	exec(`INSERT INTO users (id, tenant_id, email, password_hash, role, created_at) VALUES (1, 1, 'a@t', 'x', 'admin', ?)`, now)
	exec(`INSERT INTO import_jobs (id, tenant_id, user_id, source, status, args, created_at) VALUES (1, 1, 1, 'csv', 'completed', '{}', ?)`, now)
	exec(`INSERT INTO job_files (job_id, tenant_id, kind, content, created_at) VALUES (1, 1, 'input', ?, ?), (1, 1, 'errors', ?, ?)`,
		[]byte(input), now, []byte(empty), now)
	files := func(when string, want map[string]string) {
		t.Helper()
		rows, err := db.QueryContext(ctx, `SELECT kind, content FROM job_files ORDER BY kind`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]string{}
		for rows.Next() {
			var kind string
			var content []byte
			if err := rows.Scan(&kind, &content); err != nil {
				t.Fatal(err)
			}
			got[kind] = string(content)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: files %q, want %q", when, got, want)
		}
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	files("up", map[string]string{"errors": empty, "input": input})
	var parts, maxPart int
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(part) FROM job_files`).Scan(&parts, &maxPart); err != nil || parts != 2 || maxPart != 0 {
		t.Errorf("up: %d rows up to part %d, %v", parts, maxPart, err)
	}
	// A file of three parts, inserted out of order; a part twice is refused.
	for _, part := range []struct {
		n       int
		content string
	}{{2, "\x00tail"}, {0, "head,"}, {1, "\xffmiddle,"}} {
		exec(`INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES (1, 1, 'output', ?, ?, ?)`,
			part.n, []byte(part.content), now)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES (1, 1, 'output', 1, x'00', ?)`, now); err == nil {
		t.Error("a part was stored twice")
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	joined := map[string]string{"errors": empty, "input": input, "output": "head,\xffmiddle,\x00tail"}
	files("down", joined)
	var typ string
	if err := db.QueryRowContext(ctx, `SELECT DISTINCT typeof(content) FROM job_files`).Scan(&typ); err != nil || typ != "blob" {
		t.Errorf("down: content is %q, %v", typ, err)
	}
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	files("up again", joined)
}

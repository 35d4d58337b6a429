package postgres_test

import (
	"context"
	"database/sql"
	"reflect"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver goose runs on
	"github.com/vintry/vintry/postgres"
)

// TestMigration8KeepsFiles keys job_files by part (migration 00008): every
// file becomes its part 0 byte for byte; going down joins a file's parts in
// order again; and the migration goes up again.
func TestMigration8KeepsFiles(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("pgx", schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := postgres.MigrationProvider(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	input, empty := "a,b\x00\xff\r\n", ""
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO tenants (id, slug, name, created_at) OVERRIDING SYSTEM VALUE VALUES (1, 't', 'T', now())`)
	exec(`INSERT INTO users (id, tenant_id, email, password_hash, role, created_at) OVERRIDING SYSTEM VALUE VALUES (1, 1, 'a@t', 'x', 'admin', now())`)
	exec(`INSERT INTO import_jobs (id, tenant_id, user_id, source, status, args, created_at) OVERRIDING SYSTEM VALUE
		VALUES (1, 1, 1, 'csv', 'completed', '{}', now())`)
	exec(`INSERT INTO job_files (job_id, tenant_id, kind, content, created_at) VALUES (1, 1, 'input', $1, now()), (1, 1, 'errors', $2, now())`,
		[]byte(input), []byte(empty))
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
		exec(`INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES (1, 1, 'output', $1, $2, now())`,
			part.n, []byte(part.content))
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO job_files (job_id, tenant_id, kind, part, content, created_at) VALUES (1, 1, 'output', 1, '\x00', now())`); err == nil {
		t.Error("a part was stored twice")
	}
	if _, err := p.DownTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	joined := map[string]string{"errors": empty, "input": input, "output": "head,\xffmiddle,\x00tail"}
	files("down", joined)
	if _, err := p.UpTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	files("up again", joined)
}

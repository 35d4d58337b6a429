package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/postgres/pgtest"
	"github.com/vintry/vintry/sqlite"
)

// TestSchemaParity migrates a fresh database on each engine and compares
// what the store's SQL relies on: the same tables, the same columns with
// the same kind and nullability, the same primary keys, unique keys,
// indexes (by their columns) and foreign keys. River's and goose's own
// tables are left out.
func TestSchemaParity(t *testing.T) {
	if pgtest.URL() == "" {
		t.Skipf("PostgreSQL schema parity: set %s to a PostgreSQL URL to run it (make test-postgres does)", pgtest.EnvURL)
	}
	ctx := context.Background()
	lite := sqliteSchema(t, ctx)
	pg := postgresSchema(t, ctx)
	if len(lite) < 10 {
		t.Fatalf("SQLite schema has only %d facts: %v", len(lite), lite)
	}
	for _, f := range lite {
		if !slices.Contains(pg, f) {
			t.Errorf("only on SQLite: %s", f)
		}
	}
	for _, f := range pg {
		if !slices.Contains(lite, f) {
			t.Errorf("only on PostgreSQL: %s", f)
		}
	}
}

// ignoredTable reports whether a table is the migration tool's or the job
// queue's (each engine has River's own schema for it).
func ignoredTable(name string) bool {
	return strings.HasPrefix(name, "river_") || name == "goose_db_version" || strings.HasPrefix(name, "sqlite_")
}

// opaque are the columns of store.Opaque values: TEXT on SQLite, bytea on
// PostgreSQL, by design.
var opaque = map[string]bool{"idempotency_keys.key": true}

// kind is a column's kind as the store sees it: integers (and booleans)
// are one kind, bytes another; text, times, dates, decimals and lists are
// text on SQLite, so they are one kind, "text".
func kind(column, sqlType string) string {
	t := strings.ToLower(sqlType)
	switch {
	case opaque[column]:
		return "opaque"
	case strings.Contains(t, "int"), t == "boolean":
		return "int"
	case t == "bytea", t == "blob":
		return "bytes"
	default:
		return "text"
	}
}

func sqliteSchema(t *testing.T, ctx context.Context) []string {
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := sql.Open("sqlite", "file:"+db.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	strs := func(q string, args ...any) [][]string {
		rows, err := conn.QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			row := make([]string, len(cols))
			for i, v := range vals {
				row[i] = v.String
			}
			out = append(out, row)
		}
		return out
	}
	var facts []string
	for _, tr := range strs(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`) {
		table := tr[0]
		if ignoredTable(table) {
			continue
		}
		facts = append(facts, "table "+table)
		var pk []string
		// table_info: cid, name, type, notnull, dflt_value, pk
		for _, c := range strs(`SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, table) {
			notNull := c[2] == "1" || c[3] != "0"
			facts = append(facts, fmt.Sprintf("column %s.%s %s not null %v", table, c[0], kind(table+"."+c[0], c[1]), notNull))
			if c[3] != "0" {
				pk = append(pk, c[0])
			}
		}
		facts = append(facts, fmt.Sprintf("primary key %s (%s)", table, strings.Join(pk, ", ")))
		// index_list: seq, name, unique, origin (c: CREATE INDEX, u: UNIQUE, pk), partial
		for _, ix := range strs(`SELECT name, "unique", origin FROM pragma_index_list(?)`, table) {
			if ix[2] == "pk" {
				continue
			}
			var cols []string
			for _, c := range strs(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix[0]) {
				cols = append(cols, c[0])
			}
			facts = append(facts, indexFact(table, ix[1] == "1", cols))
		}
		fks := map[string][]string{} // by id: to table, then from columns
		for _, fk := range strs(`SELECT id, "table", "from" FROM pragma_foreign_key_list(?) ORDER BY id, seq`, table) {
			if fks[fk[0]] == nil {
				fks[fk[0]] = []string{fk[1]}
			}
			fks[fk[0]] = append(fks[fk[0]], fk[2])
		}
		for _, fk := range fks {
			facts = append(facts, fmt.Sprintf("foreign key %s (%s) -> %s", table, strings.Join(fk[1:], ", "), fk[0]))
		}
	}
	slices.Sort(facts)
	return slices.Compact(facts)
}

// indexFact names an index by its table, columns and uniqueness (not by
// its name, which the engines may choose).
func indexFact(table string, unique bool, cols []string) string {
	if unique {
		return fmt.Sprintf("unique %s (%s)", table, strings.Join(cols, ", "))
	}
	return fmt.Sprintf("index %s (%s)", table, strings.Join(cols, ", "))
}

func postgresSchema(t *testing.T, ctx context.Context) []string {
	url := pgtest.Schema(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	strs := func(q string, args ...any) [][]string {
		rows, err := conn.Query(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
			vals, err := r.Values()
			row := make([]string, len(vals))
			for i, v := range vals {
				if v != nil {
					row[i] = fmt.Sprint(v)
				}
			}
			return row, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var facts []string
	for _, tr := range strs(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1`) {
		table := tr[0]
		if ignoredTable(table) {
			continue
		}
		facts = append(facts, "table "+table)
		for _, c := range strs(`SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table) {
			facts = append(facts, fmt.Sprintf("column %s.%s %s not null %v", table, c[0], kind(table+"."+c[0], c[1]), c[2] == "NO"))
		}
		// Indexes, with the columns in index order; the primary key's apart.
		idx := strs(`SELECT i.indisprimary::text, i.indisunique::text,
				array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n), ',')
			FROM pg_index i WHERE i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass`, table)
		pk := "primary key " + table + " ()"
		for _, ix := range idx {
			cols := strings.Split(ix[2], ",")
			if ix[0] == "true" {
				pk = fmt.Sprintf("primary key %s (%s)", table, strings.Join(cols, ", "))
				continue
			}
			facts = append(facts, indexFact(table, ix[1] == "true", cols))
		}
		facts = append(facts, pk)
		fks := strs(`SELECT c.confrelid::regclass::text,
				array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
					JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n), ', ')
			FROM pg_constraint c WHERE c.contype = 'f'
			  AND c.conrelid = (quote_ident(current_schema()) || '.' || quote_ident($1))::regclass`, table)
		for _, fk := range fks {
			to := fk[0][strings.LastIndex(fk[0], ".")+1:] // without the schema
			facts = append(facts, fmt.Sprintf("foreign key %s (%s) -> %s", table, fk[1], to))
		}
	}
	slices.Sort(facts)
	return slices.Compact(facts)
}

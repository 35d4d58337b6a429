package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/vintry/vintry/store"
)

// driver runs the store's transactions on db (store.Driver).
type driver struct{ db *DB }

func (d driver) Update(ctx context.Context, fn func(*store.Tx) error) error {
	return d.db.update(ctx, func(tx *Tx) error { return fn(tx.store()) })
}

func (d driver) View(ctx context.Context, fn func(*store.Tx) error) error {
	return d.db.view(ctx, func(tx *Tx) error { return fn(tx.store()) })
}

func (d driver) Reader() store.Conn       { return conn{d.db.read} }
func (d driver) Now() time.Time           { return d.db.Now().UTC() }
func (d driver) MapError(err error) error { return mapError(err) }

// store returns tx as the store's transaction.
func (tx *Tx) store() *store.Tx {
	if tx.st == nil {
		tx.st = &store.Tx{Conn: conn{tx.Tx}, Now: tx.now, Principal: tx.principal, MapError: mapError, Lock: noLock,
			Dialect: dialect{}, Engine: tx}
	}
	return tx.st
}

// ImportWriter implements store.TxEngine: the engine's tuned record lookup
// and writes.
func (tx *Tx) ImportWriter(tenantID, jobID int64) store.RecordWriter {
	return importStore{tx: tx, tenantID: tenantID, jobID: jobID}
}

// Native implements store.TxEngine.
func (tx *Tx) Native() any { return tx.Tx }

// dialect is SQLite's store.Dialect: lists are JSON arrays.
type dialect struct{}

func (dialect) ListHas(column string) string {
	return `EXISTS (SELECT 1 FROM json_each(` + column + `) WHERE value = ?)`
}
func (dialect) ListAppend(column string) string { return `json_insert(` + column + `, '$[#]', ?)` }
func (dialect) LockRow() string                 { return "" }
func (dialect) SkipLocked() string              { return "" }
func (dialect) In(column string) string         { return column + ` IN (SELECT value FROM json_each(?))` }
func (dialect) JSONRows(alias string) string    { return `json_each(?) AS ` + alias }
func (dialect) IDTable(alias string) string     { return `json_each(?) AS ` + alias }
func (dialect) Date(expr string) string         { return expr }
func (dialect) OverrideID() string              { return "" }

// noLock is store.Tx.Lock: SQLite's one writer already serializes every
// write transaction.
func noLock(context.Context, string, int64) error { return nil }

// querier is a transaction or a pool.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn is store.Conn on database/sql: SQLite reads the store's `?` and
// `?N` placeholders as they are; times are written as RFC 3339 text
// (formatTime) and read back from it.
type conn struct{ tx querier }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.tx.ExecContext(ctx, query, values(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	rows, err := c.tx.QueryContext(ctx, query, values(args)...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) store.Row {
	return sqlRow{c.tx.QueryRowContext(ctx, query, values(args)...)}
}

// Queue runs the statement at once: SQLite is in process, a statement costs
// no round trip. modernc.org/sqlite copies a []byte argument when it binds
// it.
func (c conn) Queue(ctx context.Context, query string, args ...any) error {
	_, err := c.Exec(ctx, query, args...)
	return err
}

func (c conn) Flush(context.Context) error { return nil }

// values converts the store's arguments to what the schema stores.
func values(args []any) []any {
	out := args
	for i, a := range args {
		var v any
		switch a := a.(type) {
		case time.Time:
			v = formatTime(a)
		case *time.Time:
			if a == nil {
				v = nil
			} else {
				v = formatTime(*a)
			}
		case store.Strings:
			v = jsonText(nonNil([]string(a)))
		case store.Ints:
			v = jsonText(nonNil([]int(a)))
		case store.IDs:
			v = jsonText(nonNil([]int64(a)))
		case store.Opaque:
			v = string(a)
		default:
			continue
		}
		if &out[0] == &args[0] {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	return out
}

type sqlRows struct{ rows *sql.Rows }

func (r sqlRows) Next() bool { return r.rows.Next() }
func (r sqlRows) Close()     { r.rows.Close() }
func (r sqlRows) Err() error { return r.rows.Err() }
func (r sqlRows) Scan(dest ...any) error {
	return scanTimes(r.rows.Scan, dest)
}

type sqlRow struct{ row *sql.Row }

func (r sqlRow) Scan(dest ...any) error { return scanTimes(r.row.Scan, dest) }

// scanTimes scans with scan, reading *time.Time and **time.Time targets
// from their stored text, and list targets from their JSON.
func scanTimes(scan func(...any) error, dest []any) error {
	var fix []func()
	var listErr error
	targets := dest
	for i, d := range dest {
		switch d := d.(type) {
		case *time.Time:
			var s string
			targets = copyOnce(targets, dest)
			targets[i] = &s
			fix = append(fix, func() { *d = parseTime(s) })
		case **time.Time:
			var s sql.NullString
			targets = copyOnce(targets, dest)
			targets[i] = &s
			fix = append(fix, func() { *d = parseNullTime(s) })
		case *store.RawBytes:
			targets = copyOnce(targets, dest)
			targets[i] = (*sql.RawBytes)(d)
		case *store.Strings, *store.Ints:
			var s string
			targets = copyOnce(targets, dest)
			targets[i] = &s
			fix = append(fix, func() { listErr = errors.Join(listErr, json.Unmarshal([]byte(s), d)) })
		}
	}
	if err := scan(targets...); err != nil {
		return err
	}
	for _, f := range fix {
		f()
	}
	return listErr
}

// copyOnce returns targets, copied from dest the first time it is changed.
func copyOnce(targets, dest []any) []any {
	if len(dest) > 0 && &targets[0] == &dest[0] {
		return append([]any(nil), dest...)
	}
	return targets
}

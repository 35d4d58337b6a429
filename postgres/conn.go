package postgres

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

func (d driver) Reader() store.Conn       { return conn{d.db.readPool} }
func (d driver) Now() time.Time           { return d.db.Now().UTC().Truncate(time.Microsecond) }
func (d driver) MapError(err error) error { return mapError(err) }

// store returns tx as the store's transaction.
func (tx *Tx) store() *store.Tx {
	return &store.Tx{Conn: conn{tx.Tx}, Now: tx.now, Principal: tx.principal, MapError: mapError, Lock: tx.lockTenant, Dialect: dialect{}}
}

// dialect is PostgreSQL's store.Dialect: lists are arrays.
type dialect struct{}

func (dialect) ListHas(column string) string    { return `? = ANY (` + column + `)` }
func (dialect) ListAppend(column string) string { return `array_append(` + column + `, ?::integer)` }
func (dialect) LockRow() string                 { return " FOR UPDATE" }

// querier is a transaction or a pool.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// conn is store.Conn on a pgx transaction: the store's `?` and `?N`
// placeholders become `$n`; text arguments are made storable (no NUL, valid
// UTF-8: what PostgreSQL's text accepts), so a value no row can hold finds
// nothing rather than failing; times are read back in UTC.
type conn struct{ tx querier }

func (c conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.tx.Exec(ctx, rebind(query), storable(args)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c conn) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	rows, err := c.tx.Query(ctx, rebind(query), storable(args)...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, query string, args ...any) store.Row {
	return pgRow{c.tx.QueryRow(ctx, rebind(query), storable(args)...)}
}

// storable makes every text argument storable (storableText), and passes
// lists as arrays.
func storable(args []any) []any {
	out := args
	for i, a := range args {
		var v any
		switch a := a.(type) {
		case string:
			if validText(a) {
				continue
			}
			v = storableText(a)
		case store.Strings:
			v = []string(a)
		case store.Ints:
			v = []int(a)
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

// targets returns dest with list targets read as arrays.
func targets(dest []any) []any {
	out := dest
	for i, d := range dest {
		var t any
		switch d := d.(type) {
		case *store.Strings:
			t = (*[]string)(d)
		case *store.Ints:
			t = (*[]int)(d)
		default:
			continue
		}
		if &out[0] == &dest[0] {
			out = append([]any(nil), dest...)
		}
		out[i] = t
	}
	return out
}

type pgRows struct{ rows pgx.Rows }

func (r pgRows) Next() bool             { return r.rows.Next() }
func (r pgRows) Close()                 { r.rows.Close() }
func (r pgRows) Err() error             { return r.rows.Err() }
func (r pgRows) Scan(dest ...any) error { return inUTC(r.rows.Scan(targets(dest)...), dest) }

type pgRow struct{ row pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.row.Scan(targets(dest)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNoRows
	}
	return inUTC(err, dest)
}

// inUTC puts the times a scan read into UTC.
func inUTC(err error, dest []any) error {
	if err != nil {
		return err
	}
	for _, d := range dest {
		switch d := d.(type) {
		case *time.Time:
			*d = d.UTC()
		case **time.Time:
			if *d != nil {
				u := (*d).UTC()
				*d = &u
			}
		}
	}
	return nil
}

// rebound caches rebind's results by query text.
var rebound sync.Map

// rebind turns the store's placeholders into PostgreSQL's: each `?` into
// the next `$n`, `?N` into `$N`. Quoted text and identifiers are left as
// they are.
func rebind(query string) string {
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + query[i+1:j])
				i = j - 1
			} else {
				n++
				b.WriteString("$" + strconv.Itoa(n))
			}
			continue
		}
		b.WriteByte(c)
	}
	q := b.String()
	rebound.Store(query, q)
	return q
}

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
	"github.com/jackc/pgx/v5/pgtype"
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

func (d driver) Reader() store.Conn       { return &conn{q: d.db.readPool} }
func (d driver) Now() time.Time           { return d.db.Now().UTC().Truncate(time.Microsecond) }
func (d driver) MapError(err error) error { return mapError(err) }

// store returns tx as the store's transaction, the same one on every call:
// it holds the statements queued and not yet sent.
func (tx *Tx) store() *store.Tx {
	if tx.st == nil {
		tx.st = &store.Tx{Conn: &conn{q: tx.Tx}, Now: tx.now, Principal: tx.principal, MapError: mapError, Lock: tx.lockTenant,
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

// dialect is PostgreSQL's store.Dialect: lists are arrays.
type dialect struct{}

func (dialect) ListHas(column string) string    { return `? = ANY (` + column + `)` }
func (dialect) ListAppend(column string) string { return `array_append(` + column + `, ?::integer)` }
func (dialect) LockRow() string                 { return " FOR UPDATE" }
func (dialect) SkipLocked() string              { return " FOR UPDATE SKIP LOCKED" }
func (dialect) In(column string) string         { return column + ` = ANY (?)` }
func (dialect) JSONRows(alias string) string {
	return `jsonb_array_elements(CAST(? AS jsonb)) AS ` + alias + `(value)`
}
func (dialect) Date(expr string) string { return `CAST(` + expr + ` AS date)` }
func (dialect) IDTable(alias string) string {
	return `unnest(CAST(? AS bigint[])) AS ` + alias + `(value)`
}
func (dialect) OverrideID() string { return " OVERRIDING SYSTEM VALUE" }

// querier is a transaction or a pool.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// conn is store.Conn on a pgx transaction or pool: the store's `?` and `?N`
// placeholders become `$n`; text arguments are made storable (no NUL, valid
// UTF-8: what PostgreSQL's text accepts), so a value no row can hold finds
// nothing rather than failing; times are read back in UTC. Queued
// statements wait in a batch, sent in one round trip before the next
// statement, at Flush, when they hold batchBytes of []byte arguments, or
// before the transaction commits.
type conn struct {
	q      querier
	batch  pgx.Batch
	queued int // bytes of []byte arguments in batch
}

// batchBytes is how many bytes of []byte arguments (file parts) a batch
// holds before it is sent: a large file costs a few MiB, while a small job's
// files still go in one round trip with the statements after them.
const batchBytes = 8 << 20

func (c *conn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := c.Flush(ctx); err != nil {
		return 0, err
	}
	tag, err := c.q.Exec(ctx, rebind(query), storable(args)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (c *conn) Query(ctx context.Context, query string, args ...any) (store.Rows, error) {
	if err := c.Flush(ctx); err != nil {
		return nil, err
	}
	rows, err := c.q.Query(ctx, rebind(query), storable(args)...)
	if err != nil {
		return nil, err
	}
	return pgRows{rows}, nil
}

func (c *conn) QueryRow(ctx context.Context, query string, args ...any) store.Row {
	if err := c.Flush(ctx); err != nil {
		return errRow{err}
	}
	return pgRow{c.q.QueryRow(ctx, rebind(query), storable(args)...)}
}

func (c *conn) Queue(ctx context.Context, query string, args ...any) error {
	args = append([]any(nil), storable(args)...)
	for i, a := range args {
		if b, ok := a.([]byte); ok {
			args[i] = append([]byte{}, b...) // the batch keeps it until sent
			c.queued += len(b)
		}
	}
	c.batch.Queue(rebind(query), args...)
	if c.queued >= batchBytes {
		return c.Flush(ctx)
	}
	return nil
}

func (c *conn) Flush(ctx context.Context) error {
	if c.batch.Len() == 0 {
		return nil
	}
	b := c.batch
	c.batch, c.queued = pgx.Batch{}, 0
	return c.q.SendBatch(ctx, &b).Close()
}

// errRow is a Row whose Scan fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

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
		case store.IDs:
			v = []int64(a)
		case store.Opaque:
			v = []byte(a)
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
		case *store.RawBytes:
			t = (*pgtype.DriverBytes)(d)
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

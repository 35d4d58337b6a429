// Package sqlite implements Vintry's services on an embedded SQLite database
// (modernc.org/sqlite, pure Go). Writes go through a single connection that
// opens every transaction with BEGIN IMMEDIATE, so concurrent writers queue in
// Go instead of failing with SQLITE_BUSY; reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// timeFormat is fixed-width so that text order is time order.
const timeFormat = "2006-01-02T15:04:05.000000Z"

// DB is a Vintry database on SQLite.
type DB struct {
	// Service holds the services written once for every engine.
	*store.Service

	write *sql.DB // one connection; every transaction BEGIN IMMEDIATE
	read  *sql.DB // read-only connections

	// Path is the database file.
	Path string
	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// Open opens (creating if needed) the database file vintry.db in dir and
// brings its schema up to date.
func Open(ctx context.Context, dir string) (*DB, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, "vintry.db")
	db := &DB{
		Path: path,
		Now:  time.Now,
	}
	db.Service = store.NewService(driver{db})
	var err error
	if db.write, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return nil, err
	}
	db.write.SetMaxOpenConns(1)
	db.write.SetConnMaxIdleTime(0)
	if db.read, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		db.write.Close()
		return nil, err
	}
	db.read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func dsn(path string, write bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	if write {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

func (db *DB) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.write, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The job queue's tables live in the same file, so a queued job and the
	// upload it names commit together.
	m, err := rivermigrate.New(riversqlite.New(db.write), nil)
	if err != nil {
		return fmt.Errorf("queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue migrate: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(new(int))
}

// WriteDB returns the single-connection write pool (the job queue uses it, so
// its transactions and ours never contend for the file lock).
func (db *DB) WriteDB() *sql.DB { return db.write }

// Tx is a transaction with the time it started and the caller's principal.
type Tx struct {
	*sql.Tx
	db        *DB
	now       time.Time
	principal vintry.Principal
	st        *store.Tx // the store's view of it (store)
}

// update runs fn in a write transaction, committing when it returns nil.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.write, fn)
}

// view runs fn in a read-only transaction (a consistent snapshot).
func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.read, fn)
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, fn func(*Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return mapError(err)
	}
	p, _ := vintry.PrincipalFromContext(ctx)
	tx := &Tx{Tx: sqlTx, db: db, now: db.Now().UTC(), principal: p}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		if ctx.Err() != nil {
			// database/sql rolled the transaction back when ctx ended, so
			// the statement after that failed with ErrTxDone: the cause is
			// the caller's cancellation (a client that went away), not a
			// fault.
			return fmt.Errorf("sqlite: %w", context.Cause(ctx))
		}
		return mapError(err)
	}
	if err := sqlTx.Commit(); err != nil && ctx.Err() != nil {
		return fmt.Errorf("sqlite: %w", context.Cause(ctx))
	} else if err != nil {
		return mapError(err)
	}
	return nil
}

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func parseNullTime(s sql.NullString) *time.Time {
	if !s.Valid {
		return nil
	}
	t := parseTime(s.String)
	return &t
}

// mapError turns driver errors into application errors by SQLite result
// code; an *vintry.Error passes through.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var e *vintry.Error
	if errors.As(err, &e) {
		return err
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &vintry.Error{Code: vintry.ECONFLICT, Message: "The entry already exists."}
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &vintry.Error{Code: vintry.ECONFLICT, Message: "The entry is in use."}
		}
		if se.Code()&0xff == sqlite3.SQLITE_FULL {
			// The disk (or max_page_count) is full; the transaction rolled back.
			return &vintry.Error{Code: vintry.EFULL, Message: vintry.MsgStorageFull}
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("sqlite: %w", err)
}

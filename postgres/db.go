// Package postgres implements Vintry's services on PostgreSQL (pgx, pgxpool).
// Any number of nodes may share one database: every write transaction that
// changes a tenant's inventory or master data first takes that tenant's
// advisory lock, so a tenant's writes apply one after another, as on the
// embedded engine, while other tenants' writes run in parallel. Reads run in
// read-only REPEATABLE READ transactions (one snapshot per call).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// minPoolConns is the smallest pool Open makes: the job queue holds a
// listening connection and each running job holds one for its transaction.
const minPoolConns = 10

// DB is a Vintry database on PostgreSQL.
type DB struct {
	// Service holds the services written once for every engine.
	*store.Service

	pool *pgxpool.Pool
	// readPool serves read-only transactions and token look-ups, so reads
	// never queue for a connection behind writers that hold every
	// connection of pool while they wait for a tenant's lock.
	readPool *pgxpool.Pool
	schema   string // the schema the tables live in: the first of the search_path

	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// Open connects to the database at url (a postgres:// URL or key=value
// string that pgx accepts) and brings its schema up to date. The tables,
// River's included, live in the first schema of the connection's
// search_path, which the URL may set (search_path=NAME, or
// options=-c search_path=NAME); that schema must exist. Nodes that open the
// same database at once migrate it one at a time.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed pool configuration (to set TLS or a
// dialer, say). It raises MaxConns to at least 10 and sets a 10 s connect
// timeout when the configuration has none.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*DB, error) {
	cfg.MaxConns = max(cfg.MaxConns, minPoolConns)
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	readCfg := cfg.Copy()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	readPool, err := pgxpool.NewWithConfig(ctx, readCfg)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	db := &DB{
		pool:     pool,
		readPool: readPool,
		Now:      time.Now,
	}
	db.Service = store.NewService(driver{db})
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	if schema == nil {
		db.Close()
		return nil, errors.New("database: no schema of the connection's search_path exists; create it first")
	}
	db.schema = *schema
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the connection pools.
func (db *DB) Close() error {
	db.pool.Close()
	db.readPool.Close()
	return nil
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	return db.pool.QueryRow(ctx, "SELECT 1").Scan(new(int))
}

// Pool returns the connection pool (the job queue runs on it, so a queued
// job and the upload it names commit in one transaction).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Schema returns the schema that holds Vintry's and River's tables.
func (db *DB) Schema() string { return db.schema }

// Tx is a transaction with the time it started and the caller's principal.
type Tx struct {
	pgx.Tx
	db        *DB
	now       time.Time
	principal vintry.Principal
	st        *store.Tx // the store's view of it (store)
}

// Advisory lock classes. Locks are database-wide, so a key also hashes the
// schema: deployments (or test runs) in other schemas never wait on ours.
const (
	// lockMigrate serializes schema migrations of nodes starting together.
	lockMigrate  = "migrate"
	lockProfiles = store.LockProfiles
)

// lockKey returns the advisory lock key of one lock class and id.
func (db *DB) lockKey(class string, id int64) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "vintry\x00%s\x00%s\x00%d", db.schema, class, id)
	return int64(h.Sum64())
}

// lockTenant takes one of the tenant's advisory locks until the transaction
// ends. Every transaction takes at most one tenant lock, before any other
// write, so these locks cannot deadlock with each other.
func (tx *Tx) lockTenant(ctx context.Context, class string, tenantID int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, tx.db.lockKey(class, tenantID))
	return err
}

// Describe names the database for logs: host, database and schema, never
// the password.
func (db *DB) Describe() string {
	c := db.pool.Config().ConnConfig
	return fmt.Sprintf("postgres host=%s port=%d database=%s schema=%s", c.Host, c.Port, c.Database, db.schema)
}

package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrate brings Vintry's tables, then River's, up to date. Both run under
// the schema's migration lock, so nodes starting together take turns.
func (db *DB) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	// goose's session lock polls (pg_try_advisory_lock) once a second, for
	// up to ten minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(db.lockKey(lockMigrate, 0)), lock.WithLockTimeout(1, 600))
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool) // closing it leaves the pool open
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys,
		goose.WithDisableGlobalRegistry(true), goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return db.migrateQueue(ctx)
}

// migrateQueue runs River's migrations while a connection of the pool
// holds the schema's migration lock (River's migrator takes no lock of its
// own). The lock is session-level: River runs each version in its own
// transaction (one adds an enum value a later statement uses), and a node
// that dies mid-way releases the lock with its connection.
func (db *DB) migrateQueue(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("queue migrate: %w", err)
	}
	defer conn.Release()
	key := db.lockKey(lockMigrate, 0)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		return fmt.Errorf("queue migrate: %w", err)
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, key); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // ending the session releases the lock
		}
	}()
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Schema: db.QueueSchema()})
	if err != nil {
		return fmt.Errorf("queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue migrate: %w", err)
	}
	return nil
}

// riverSchemaName is what River accepts as a schema name.
var riverSchemaName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// QueueSchema returns the schema to give River (its Config.Schema and its
// migrator's): the tables' schema, so River's LISTEN/NOTIFY channels are
// named per schema too; "" (the search_path) when River would refuse the name.
func (db *DB) QueueSchema() string {
	if len(db.schema) > 40 || !riverSchemaName.MatchString(db.schema) {
		return ""
	}
	return db.schema
}

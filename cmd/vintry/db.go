package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/jobs"
	"github.com/vintry/vintry/metrics"
	"github.com/vintry/vintry/postgres"
	"github.com/vintry/vintry/sqlite"
)

// DBFlags choose the database; every command that touches it takes them.
type DBFlags struct {
	DataDir  string `name:"data-dir" default:"./vintry-data" help:"Directory of the embedded SQLite database." type:"path"`
	Database string `name:"database" env:"VINTRY_DATABASE_URL" help:"PostgreSQL URL (postgres://...); empty uses embedded SQLite."`
}

// Store is the database the commands work on, whichever engine holds it:
// every service, plus what the server needs besides. *sqlite.DB and
// *postgres.DB both are one.
type Store interface {
	vintry.TenantService
	vintry.UserService
	vintry.AuthService
	vintry.MasterDataService
	vintry.InventoryService
	vintry.InventoryWriter
	vintry.ImportService
	vintry.JobQueue
	vintry.JobLifecycle
	vintry.DraftService
	vintry.WebhookService
	vintry.MappingProfileService
	vintry.JobFileJanitor
	vintry.StorageUsage
	metrics.JobCounter
	Ping(ctx context.Context) error
	Close() error
}

// open opens the database (PostgreSQL when --database is set, else SQLite
// in --data-dir) and brings its schema up to date.
func (f DBFlags) open(ctx context.Context) (Store, error) {
	if f.Database != "" {
		db, err := postgres.Open(ctx, f.Database)
		if err != nil {
			return nil, err
		}
		return db, nil
	}
	db, err := sqlite.Open(ctx, f.DataDir)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// queue is a running job queue, on either engine.
type queue interface {
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
}

// startQueue starts the job queue of db's engine (jobs.Start over River's
// driver of that engine) and sets db's fault injection (crash tests).
func startQueue(ctx context.Context, db Store, faultApplyDelay time.Duration, cfg jobs.Config) (queue, error) {
	switch db := db.(type) {
	case *sqlite.DB:
		db.FaultApplyDelay = faultApplyDelay
		return jobs.Start(ctx, sqliteQueue(db), cfg)
	case *postgres.DB:
		db.FaultApplyDelay = faultApplyDelay
		return jobs.Start(ctx, postgresQueue(db), cfg)
	}
	return nil, fmt.Errorf("no job queue for %T", db)
}

// sqliteQueue is db as the job queue's engine: River on its one write
// connection, in the same file, and the requeue of a dead process's jobs.
func sqliteQueue(db *sqlite.DB) jobs.Engine[*sql.Tx] {
	return jobs.Engine[*sql.Tx]{Store: db.Service, Driver: riversqlite.New(db.WriteDB()), RequeueOrphaned: db.RequeueOrphanedJobs}
}

// postgresQueue is db as the job queue's engine: River on its pool, in its
// schema, with run locks for the jobs of dead nodes.
func postgresQueue(db *postgres.DB) jobs.Engine[pgx.Tx] {
	return jobs.Engine[pgx.Tx]{Store: db.Service, Driver: riverpgxv5.New(db.Pool()), Schema: db.QueueSchema(),
		RunLocks: func(ctx context.Context) (jobs.RunLocks, error) { return db.OpenRunLocks(ctx) }}
}

// describe names the database for the logs (never a password).
func describe(db Store) string {
	switch db := db.(type) {
	case *sqlite.DB:
		return db.Path
	case *postgres.DB:
		return db.Describe()
	}
	return fmt.Sprintf("%T", db)
}

// MigrateCmd brings the schema up to date.
type MigrateCmd struct {
	DBFlags
}

// Run implements the command.
func (c *MigrateCmd) Run(ctx context.Context) error {
	db, err := c.open(ctx)
	if err != nil {
		return err
	}
	return db.Close()
}

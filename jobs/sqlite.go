package jobs

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/vintry/vintry/sqlite"
)

// StartSQLite starts the job queue on db's write connection, wires db's
// EnqueueImport to it, and requeues jobs a dead process left running. The
// returned client must be stopped (Stop) before db is closed.
func StartSQLite(ctx context.Context, db *sqlite.DB, cfg Config) (*river.Client[*sql.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &ImportWorker[*sql.Tx]{
		Store: db, MaxRecords: cfg.MaxRecords, ChunkRows: cfg.ChunkRows, Node: cfg.node(), Finished: cfg.Finished, BeforeApply: cfg.BeforeApply, JobTimeout: jobTimeout(cfg.rescueAfter()),
		Complete: func(ctx context.Context, tx *sql.Tx, job *river.Job[ImportArgs]) error {
			_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
			return err
		},
	})
	river.AddWorker(workers, &RevertWorker[*sql.Tx]{
		Store: db, JobTimeout: jobTimeout(cfg.rescueAfter()),
		Complete: func(ctx context.Context, tx *sql.Tx, job *river.Job[RevertArgs]) error {
			_, err := river.JobCompleteTx[*riversqlite.Driver](ctx, tx, job)
			return err
		},
	})
	cfg.addWebhookWorker(workers, db)
	rc := cfg.riverConfig(workers)
	client, err := river.NewClient(riversqlite.New(db.WriteDB()), rc)
	if err != nil {
		return nil, err
	}
	db.Queue = enqueuer[*sql.Tx]{client: client, cfg: cfg}
	if cfg.Workers == 0 {
		return client, nil
	}
	if n, err := db.RequeueOrphanedJobs(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		cfg.Logger.Info("requeued jobs left running by a stopped process", "count", n)
	}
	return client, client.Start(ctx)
}

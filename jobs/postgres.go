package jobs

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/vintry/vintry/postgres"
)

// StartPostgres starts the job queue on db's pool, in db's schema, and wires
// db's EnqueueImport to it. Any number of nodes may run it on one database:
// River hands each job to one worker, wakes idle nodes with LISTEN/NOTIFY
// when a job is queued, and its rescuer gives a job whose node died to
// another worker after cfg.RescueAfter. There is no start-up requeue as on
// SQLite: a job marked running may belong to a live node. The returned
// client must be stopped (Stop) before db is closed.
func StartPostgres(ctx context.Context, db *postgres.DB, cfg Config) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &ImportWorker[pgx.Tx]{
		Store: db, MaxRecords: cfg.MaxRecords, ChunkRows: cfg.ChunkRows, Node: cfg.node(), Finished: cfg.Finished, BeforeApply: cfg.BeforeApply, JobTimeout: jobTimeout(cfg.rescueAfter()),
		Complete: func(ctx context.Context, tx pgx.Tx, job *river.Job[ImportArgs]) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		},
	})
	cfg.addWebhookWorker(workers, db)
	rc := cfg.riverConfig(workers)
	rc.Schema = db.QueueSchema()
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), rc)
	if err != nil {
		return nil, err
	}
	db.EnqueueImport = func(ctx context.Context, tx pgx.Tx, jobID int64) error {
		_, err := client.InsertTx(ctx, tx, ImportArgs{JobID: jobID}, nil)
		return err
	}
	db.EnqueueWebhooks = func(ctx context.Context, tx pgx.Tx, deliveryIDs []int64) error {
		_, err := client.InsertManyTx(ctx, tx, cfg.webhookJobs(deliveryIDs))
		return err
	}
	if cfg.Workers == 0 {
		return client, nil
	}
	return client, client.Start(ctx)
}

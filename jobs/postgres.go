package jobs

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/vintry/vintry/postgres"
)

// PostgresQueue is a node's job queue on PostgreSQL: the River client, and
// the run locks and sweep that give the jobs of a dead node to live ones.
type PostgresQueue struct {
	*river.Client[pgx.Tx]
	locks     *postgres.RunLocks // nil on a node that runs no jobs
	stopSweep context.CancelFunc
	swept     chan struct{}
	closeOnce sync.Once
}

// Sweep timing: every sweepInterval a node with workers requeues the
// running import jobs whose run lock nobody holds, once their attempt is
// sweepGrace old. A node killed mid-job thus loses its jobs to another
// node (or to itself, restarted) within about sweepGrace + sweepInterval.
const (
	sweepInterval = 2 * time.Second
	sweepGrace    = 5 * time.Second
)

// StartPostgres starts the job queue on db's pool, in db's schema, and wires
// db's Queue to it. Any number of nodes may run it on one database:
// River hands each job to one worker and wakes idle nodes with LISTEN/NOTIFY
// when a job is queued.
//
// A node that runs jobs holds a run lock (postgres.RunLocks) on each import
// job it runs, and sweeps: at start-up and every sweepInterval it requeues
// the running import jobs whose lock is free, whose node has died. So a
// node killed by SIGKILL loses its jobs to the others, or to itself
// restarted, within seconds, never to two runs at once (a run needs the
// lock), and never twice applied (the apply transaction locks the job row
// and skips a finished job). River's rescuer, after cfg.RescueAfter, stays
// the last resort (webhook deliveries rely on it). Stop the queue before db
// is closed.
func StartPostgres(ctx context.Context, db *postgres.DB, cfg Config) (*PostgresQueue, error) {
	q := &PostgresQueue{}
	worker := &ImportWorker[pgx.Tx]{
		Store: db, MaxRecords: cfg.MaxRecords, ChunkRows: cfg.ChunkRows, Node: cfg.node(), Finished: cfg.Finished, BeforeApply: cfg.BeforeApply, JobTimeout: jobTimeout(cfg.rescueAfter()),
		Complete: func(ctx context.Context, tx pgx.Tx, job *river.Job[ImportArgs]) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		},
	}
	reverter := &RevertWorker[pgx.Tx]{
		Store: db, JobTimeout: jobTimeout(cfg.rescueAfter()),
		Complete: func(ctx context.Context, tx pgx.Tx, job *river.Job[RevertArgs]) error {
			_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
			return err
		},
	}
	if cfg.Workers > 0 {
		locks, err := db.OpenRunLocks(ctx)
		if err != nil {
			return nil, err
		}
		q.locks = locks
		worker.Hold = func(ctx context.Context, id int64) (context.Context, func(), bool, error) {
			runCtx, release, err := locks.Hold(ctx, id)
			if errors.Is(err, postgres.ErrRunHeld) {
				return nil, nil, false, nil
			}
			return runCtx, release, err == nil, err
		}
		reverter.Hold = worker.Hold
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	river.AddWorker(workers, reverter)
	cfg.addWebhookWorker(workers, db)
	rc := cfg.riverConfig(workers)
	rc.Schema = db.QueueSchema()
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), rc)
	if err != nil {
		q.close()
		return nil, err
	}
	q.Client = client
	db.Queue = enqueuer[pgx.Tx]{client: client, cfg: cfg}
	if cfg.Workers == 0 {
		return q, nil
	}
	if err := client.Start(ctx); err != nil {
		q.close()
		return nil, err
	}
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	q.stopSweep, q.swept = stop, make(chan struct{})
	go q.sweep(sweepCtx, cfg.logger(), cfg.node())
	return q, nil
}

// sweep requeues the import jobs of dead nodes until ctx ends.
func (q *PostgresQueue) sweep(ctx context.Context, log *slog.Logger, node string) {
	defer close(q.swept)
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		ids, err := q.locks.Sweep(ctx, []string{ImportArgs{}.Kind(), RevertArgs{}.Kind()}, sweepGrace, node)
		if err != nil && ctx.Err() == nil {
			log.Warn("sweep for jobs of stopped nodes", "err", err)
		}
		if len(ids) > 0 {
			log.Info("requeued jobs whose node stopped", "queue_job_ids", ids)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop stops the River client (running jobs finish), then the sweep, and
// releases the run locks.
func (q *PostgresQueue) Stop(ctx context.Context) error {
	err := q.Client.Stop(ctx)
	if err == nil {
		q.close()
	}
	return err
}

// StopAndCancel stops the River client, cancelling running jobs, then the
// sweep and the run locks.
func (q *PostgresQueue) StopAndCancel(ctx context.Context) error {
	err := q.Client.StopAndCancel(ctx)
	q.close()
	return err
}

// close stops the sweep and releases the run locks, once.
func (q *PostgresQueue) close() {
	q.closeOnce.Do(func() {
		if q.stopSweep != nil {
			q.stopSweep()
			<-q.swept
		}
		if q.locks != nil {
			q.locks.Close()
		}
	})
}

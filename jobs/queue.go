package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/vintry/vintry/store"
)

// Engine is a database engine as the job queue sees it: the store's
// services, River's driver on the engine's pool, and how the engine tells
// live runs from dead ones.
type Engine[TTx any] struct {
	Store  *store.Service
	Driver riverdriver.Driver[TTx]
	// Schema is the schema of River's tables ("" for the driver's default).
	Schema string
	// RunLocks opens the run locks of a node that runs jobs on a database
	// nodes share (PostgreSQL): each run holds its queue job's lock, and a
	// sweep requeues the running jobs whose lock nobody holds. Nil on an
	// engine of one node (SQLite).
	RunLocks func(ctx context.Context) (RunLocks, error)
	// RequeueOrphaned puts the queue jobs left running by a dead process
	// back in the queue, at start-up; for an engine of one node.
	RequeueOrphaned func(ctx context.Context) (int64, error)
}

// RunLocks are a node's run locks (see postgres.RunLocks).
type RunLocks interface {
	// Hold takes the lock of queue job id for the run; ok is false when
	// another attempt holds it.
	Hold(ctx context.Context, id int64) (runCtx context.Context, release func(), ok bool, err error)
	// Sweep requeues the running jobs of kinds whose lock is free, once
	// their attempt is grace old, and returns their ids.
	Sweep(ctx context.Context, kinds []string, grace time.Duration, by string) ([]int64, error)
	Close()
}

// Queue is a node's job queue: the River client, and on an engine of many
// nodes the run locks and the sweep that give the jobs of a dead node to
// live ones.
type Queue[TTx any] struct {
	*river.Client[TTx]
	locks     RunLocks // nil on a node that runs no jobs, or of one node
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

// Start starts the job queue of e and sets it as the store's queue. Any
// number of nodes may run it on one PostgreSQL database: River hands each
// job to one worker and wakes idle nodes with LISTEN/NOTIFY when a job is
// queued; SQLite polls.
//
// With run locks, a node that runs jobs holds one on each job it runs, and
// sweeps: at start-up and every sweepInterval it requeues the running jobs
// whose lock is free, whose node has died. So a node killed by SIGKILL
// loses its jobs to the others, or to itself restarted, within seconds,
// never to two runs at once (a run needs the lock), and never twice applied
// (the apply transaction locks the job row and skips a finished job).
// River's rescuer, after cfg.RescueAfter, stays the last resort (webhook
// deliveries rely on it). Stop the queue before the database is closed.
func Start[TTx any](ctx context.Context, e Engine[TTx], cfg Config) (*Queue[TTx], error) {
	q := &Queue[TTx]{}
	timeout := jobTimeout(cfg.rescueAfter())
	worker := &ImportWorker[TTx]{
		Store: e.Store, MaxRecords: cfg.MaxRecords, ChunkRows: cfg.ChunkRows, Node: cfg.node(), Finished: cfg.Finished,
		BeforeApply: cfg.BeforeApply, JobTimeout: timeout,
		Complete: func(ctx context.Context, tx TTx, job *river.Job[ImportArgs]) error {
			_, err := river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job)
			return err
		},
	}
	reverter := &RevertWorker[TTx]{
		Store: e.Store, JobTimeout: timeout,
		Complete: func(ctx context.Context, tx TTx, job *river.Job[RevertArgs]) error {
			_, err := river.JobCompleteTx[riverdriver.Driver[TTx]](ctx, tx, job)
			return err
		},
	}
	if cfg.Workers > 0 && e.RunLocks != nil {
		locks, err := e.RunLocks(ctx)
		if err != nil {
			return nil, err
		}
		q.locks = locks
		worker.Hold, reverter.Hold = locks.Hold, locks.Hold
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, worker)
	river.AddWorker(workers, reverter)
	cfg.addWebhookWorker(workers, e.Store)
	rc := cfg.riverConfig(workers)
	rc.Schema = e.Schema
	client, err := river.NewClient(e.Driver, rc)
	if err != nil {
		q.close()
		return nil, err
	}
	q.Client = client
	e.Store.Queue = enqueuer[TTx]{client: client, cfg: cfg}
	if cfg.Workers == 0 {
		return q, nil
	}
	if e.RequeueOrphaned != nil {
		if n, err := e.RequeueOrphaned(ctx); err != nil {
			return nil, err
		} else if n > 0 {
			cfg.logger().Info("requeued jobs left running by a stopped process", "count", n)
		}
	}
	if err := client.Start(ctx); err != nil {
		q.close()
		return nil, err
	}
	if q.locks != nil {
		sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		q.stopSweep, q.swept = stop, make(chan struct{})
		go q.sweep(sweepCtx, cfg.logger(), cfg.node())
	}
	return q, nil
}

// sweep requeues the import jobs of dead nodes until ctx ends.
func (q *Queue[TTx]) sweep(ctx context.Context, log *slog.Logger, node string) {
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
func (q *Queue[TTx]) Stop(ctx context.Context) error {
	err := q.Client.Stop(ctx)
	if err == nil {
		q.close()
	}
	return err
}

// StopAndCancel stops the River client, cancelling running jobs, then the
// sweep and the run locks.
func (q *Queue[TTx]) StopAndCancel(ctx context.Context) error {
	err := q.Client.StopAndCancel(ctx)
	q.close()
	return err
}

// close stops the sweep and releases the run locks, once.
func (q *Queue[TTx]) close() {
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

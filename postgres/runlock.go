package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// lockRun is the class of the session advisory lock a node holds on each
// queue job it runs (keyed by the queue job's id).
const lockRun = "run"

// RunLocks are the run locks of one node: a session advisory lock per
// queue job it runs, all held on one connection of their own. A node that
// dies (kill -9, a lost machine) loses its connection and with it every
// lock, so other nodes see at once, without waiting for a timeout, which
// running jobs have nobody left to run them (Sweep). The connection asks
// the server for TCP keepalives of a few seconds, so a machine that
// vanishes without closing its sockets is noticed within about 15 s.
//
// When the connection breaks, every job holding a lock is cancelled (its
// context ends), since another node may take it over; new Holds reconnect.
type RunLocks struct {
	db *DB

	mu   sync.Mutex
	conn *pgx.Conn      // nil until the first use, or after it broke
	held map[int64]*run // by queue job id

	stop chan struct{}
	done chan struct{}
}

// run is one held run lock.
type run struct{ cancel context.CancelFunc }

// runPingInterval is how often the lock connection is checked.
const runPingInterval = time.Second

// keepalives make the server drop the lock session of a machine that
// vanished: first probe after 5 s idle, then every 2 s, 3 misses.
var keepalives = []string{
	`SET tcp_keepalives_idle = 5`, `SET tcp_keepalives_interval = 2`, `SET tcp_keepalives_count = 3`,
}

// OpenRunLocks opens db's run lock connection and starts checking it.
// Close releases every lock.
func (db *DB) OpenRunLocks(ctx context.Context) (*RunLocks, error) {
	l := &RunLocks{db: db, held: map[int64]*run{}, stop: make(chan struct{}), done: make(chan struct{})}
	l.mu.Lock()
	_, err := l.connLocked(ctx)
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	go l.watch()
	return l, nil
}

// connLocked returns the lock connection, connecting if there is none.
func (l *RunLocks) connLocked(ctx context.Context) (*pgx.Conn, error) {
	if l.conn != nil {
		return l.conn, nil
	}
	conn, err := pgx.ConnectConfig(ctx, l.db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("run locks: %w", err)
	}
	for _, q := range keepalives {
		if _, err := conn.Exec(ctx, q); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("run locks: %w", err)
		}
	}
	l.conn = conn
	return conn, nil
}

// brokeLocked drops a connection that failed: its locks are gone with it,
// so every run that held one is cancelled.
func (l *RunLocks) brokeLocked() {
	if l.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		l.conn.Close(ctx)
		cancel()
		l.conn = nil
	}
	for id, r := range l.held {
		r.cancel()
		delete(l.held, id)
	}
}

// watch pings the connection until Close.
func (l *RunLocks) watch() {
	defer close(l.done)
	t := time.NewTicker(runPingInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		if l.conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			if err := l.conn.Ping(ctx); err != nil {
				l.brokeLocked()
			}
			cancel()
		}
		l.mu.Unlock()
	}
}

// Hold takes the run lock of queue job id for as long as the run lasts. The
// returned context is ctx, cancelled if the lock is lost; release ends the
// hold. When another attempt holds the lock (of this node or another), ok
// is false.
func (l *RunLocks) Hold(ctx context.Context, id int64) (runCtx context.Context, release func(), ok bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, held := l.held[id]; held {
		return nil, nil, false, nil // an attempt of this node still runs it
	}
	got, err := l.tryLocked(ctx, id)
	if err != nil || !got {
		return nil, nil, false, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel}
	l.held[id] = r
	release = func() {
		cancel()
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.held[id] != r {
			return // lost with a broken connection
		}
		delete(l.held, id)
		l.unlockLocked(id)
	}
	return runCtx, release, true, nil
}

// tryLocked tries to take the run lock of queue job id on the connection.
func (l *RunLocks) tryLocked(ctx context.Context, id int64) (bool, error) {
	conn, err := l.connLocked(ctx)
	if err != nil {
		return false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, l.db.lockKey(lockRun, id)).Scan(&got); err != nil {
		l.brokeLocked()
		return false, fmt.Errorf("run locks: %w", err)
	}
	return got, nil
}

// unlockLocked releases the run lock of queue job id; a connection that
// cannot release it is dropped, which releases every lock it held.
func (l *RunLocks) unlockLocked(id int64) {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.db.lockKey(lockRun, id)); err != nil {
		l.brokeLocked()
	}
}

// Sweep requeues the running queue jobs of the given kinds whose run lock
// nobody holds: the node that ran them is gone (its session ended), and
// the transaction it had open was rolled back with it. A job is judged only
// once its attempt began at least grace ago, so a worker that has just
// fetched it has time to take its lock. The job keeps its attempt count
// and gets an error entry saying why it ran again; one that used its last
// attempt gets one more. It returns the ids requeued.
func (l *RunLocks) Sweep(ctx context.Context, kinds []string, grace time.Duration, by string) ([]int64, error) {
	rows, err := l.db.pool.Query(ctx, `SELECT id, attempted_at FROM river_job
		WHERE state = 'running' AND kind = ANY($1) AND attempted_at < now() - make_interval(secs => $2)`,
		kinds, grace.Seconds())
	if err != nil {
		return nil, fmt.Errorf("run sweep: %w", err)
	}
	type running struct {
		id int64
		at time.Time
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (running, error) {
		var j running
		return j, r.Scan(&j.id, &j.at)
	})
	if err != nil {
		return nil, fmt.Errorf("run sweep: %w", err)
	}
	var requeued []int64
	for _, j := range found {
		ok, err := l.requeue(ctx, j.id, j.at, by)
		if err != nil {
			return requeued, err
		}
		if ok {
			requeued = append(requeued, j.id)
		}
	}
	return requeued, nil
}

// requeue makes queue job id available again if its run lock is free and
// it is still in the attempt that began at attempted.
func (l *RunLocks) requeue(ctx context.Context, id int64, attempted time.Time, by string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.held[id]; ok {
		return false, nil // this node runs it
	}
	got, err := l.tryLocked(ctx, id)
	if err != nil || !got {
		return false, err
	}
	defer l.unlockLocked(id)
	// Made available while its lock is held here: a worker that fetches it
	// at once waits (Hold: not ok) until the update is visible and the lock
	// released.
	tag, err := l.conn.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now(),
		max_attempts = greatest(max_attempts, attempt + 1),
		errors = array_append(errors, jsonb_build_object('at', now(), 'attempt', attempt,
			'error', 'the node running this attempt was gone; requeued by ' || $3::text, 'trace', ''))
		WHERE id = $1 AND state = 'running' AND attempted_at = $2`, id, attempted, by)
	if err != nil {
		l.brokeLocked()
		return false, fmt.Errorf("run sweep: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// Close stops checking the connection and closes it, releasing every lock.
// Runs still holding one are cancelled.
func (l *RunLocks) Close() {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	l.brokeLocked()
}

package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// SQLSTATE codes the store acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeDiskFull             = "53100" // disk_full
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// maxTxAttempts bounds how often a transaction that lost a race (a
// serialization failure, a deadlock, an idempotency key taken meanwhile) is
// run again before its error is returned.
const maxTxAttempts = 8

// update runs fn in a read-committed write transaction, committing when it
// returns nil.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.pool, pgx.TxOptions{}, fn)
}

// view runs fn in a read-only transaction with one snapshot for all its
// queries (a count and its page agree), on the read pool.
func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.readPool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

// inTx runs fn in a transaction, again from the start when it fails for a
// reason a retry resolves, so callers never see those failures. fn must
// build its state afresh on every call.
func (db *DB) inTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.tryTx(ctx, pool, opts, fn)
		if !retryable(err) || attempt == maxTxAttempts {
			return mapError(err)
		}
		select {
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (db *DB) tryTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(*Tx) error) error {
	pgTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	p, _ := vintry.PrincipalFromContext(ctx)
	// PostgreSQL keeps microseconds; so does the time a method returns.
	tx := &Tx{Tx: pgTx, db: db, now: db.Now().UTC().Truncate(time.Microsecond), principal: p}
	err = fn(tx)
	if err == nil && tx.st != nil {
		err = tx.st.Flush(ctx) // what the store queued, before the commit
	}
	if err != nil {
		// Without the caller's cancellation: a rollback must still be sent.
		pgTx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return pgTx.Commit(ctx)
}

// retryable reports whether a failed transaction should run again.
func retryable(err error) bool {
	if errors.Is(err, store.ErrRetry) {
		return true
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == codeSerializationFailure || pe.Code == codeDeadlockDetected)
}

// pgCode returns the SQLSTATE of err, or "" when it is not a server error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// mapError turns driver errors into application errors by SQLSTATE; an
// *vintry.Error passes through.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var e *vintry.Error
	if errors.As(err, &e) {
		return err
	}
	switch pgCode(err) {
	case codeUniqueViolation:
		return &vintry.Error{Code: vintry.ECONFLICT, Message: "The entry already exists."}
	case codeForeignKeyViolation:
		return &vintry.Error{Code: vintry.ECONFLICT, Message: "The entry is in use."}
	case codeDiskFull:
		return &vintry.Error{Code: vintry.EFULL, Message: vintry.MsgStorageFull}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("postgres: %w", err)
}

package sqlite

import (
	"context"
	"database/sql"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// RunQueuedRevert runs queued revert job jobID and, in the same write
// transaction, complete (store.RunRevertJob). A revert that conflicts is
// rolled back and ends failed (FailQueuedRevert).
func (db *DB) RunQueuedRevert(ctx context.Context, jobID int64, complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	var refused error
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		rev, err = db.RunRevertJob(ctx, tx.store(), jobID, func() error { return complete(ctx, tx.Tx) })
		if refused = nil; vintry.ErrorCode(err) == vintry.ECONFLICT {
			refused = err
		}
		return err
	})
	if refused == nil {
		return rev, err
	}
	return db.FailQueuedRevert(ctx, jobID, refused, complete)
}

// FailQueuedRevert ends queued revert job jobID as failed for reason and,
// in the same transaction, complete (store.FailRevertJob).
func (db *DB) FailQueuedRevert(ctx context.Context, jobID int64, reason error, complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
	var rev *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		rev, err = store.FailRevertJob(ctx, tx.store(), jobID, reason, func() error { return complete(ctx, tx.Tx) })
		return err
	})
	return rev, err
}

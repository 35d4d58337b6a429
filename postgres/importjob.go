package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// FinishImportJob applies a running job's rows, stores its result files and
// final state (store.FinishImport), and calls complete (the queue's
// acknowledgement) in the same transaction, so the job's effect happens
// exactly once even when two nodes run it (a rescued job whose first run
// was still alive).
func (db *DB) FinishImportJob(ctx context.Context, jobID int64, rows importer.Source, log []string,
	complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = db.FinishImport(ctx, tx.store(), jobID, rows, log); err != nil {
			return err
		}
		return complete(ctx, tx.Tx)
	})
	return job, err
}

// FailImportJob ends a job whose file could not be processed
// (store.FailImport), and complete runs in the same transaction.
func (db *DB) FailImportJob(ctx context.Context, jobID int64, reason string, log []string,
	complete func(context.Context, pgx.Tx) error) (*vintry.ImportJob, error) {
	var job *vintry.ImportJob
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if job, err = db.FailImport(ctx, tx.store(), jobID, reason, log); err != nil {
			return err
		}
		return complete(ctx, tx.Tx)
	})
	return job, err
}

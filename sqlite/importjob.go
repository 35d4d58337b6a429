package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/importer"
)

// FinishImportJob applies a running job's rows, stores its result files and
// final state (store.FinishImport), and calls complete (the queue's
// acknowledgement) in the same transaction, so the job's effect happens
// exactly once.
func (db *DB) FinishImportJob(ctx context.Context, jobID int64, rows importer.Source, log []string,
	complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
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
	complete func(context.Context, *sql.Tx) error) (*vintry.ImportJob, error) {
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

// RequeueOrphanedJobs puts queue jobs left running back in the queue. SQLite
// serves one node (serve holds a lock on the data dir), so at start-up any
// job still marked running was held by a process that died; its import
// transaction was rolled back with it.
func (db *DB) RequeueOrphanedJobs(ctx context.Context) (int64, error) {
	res, err := db.write.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

// nonNil returns s, or an empty slice for nil, so JSON columns hold [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// jsonText marshals v (a value that always marshals) to a JSON string.
func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

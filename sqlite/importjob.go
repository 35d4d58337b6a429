package sqlite

import (
	"context"
	"encoding/json"
)

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

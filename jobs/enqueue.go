package jobs

import (
	"context"

	"github.com/riverqueue/river"
	"github.com/vintry/vintry/store"
)

// native returns the engine's own transaction of a store transaction: the
// one River inserts and completes its jobs in.
func native[TTx any](tx *store.Tx) TTx { return tx.Engine.Native().(TTx) }

// enqueuer is store.Enqueuer on a River client: each worker job is
// inserted in the store's transaction, so it exists exactly when the job
// record it names commits.
type enqueuer[TTx any] struct {
	client *river.Client[TTx]
	cfg    Config
}

func (q enqueuer[TTx]) EnqueueImport(ctx context.Context, tx *store.Tx, jobID int64) error {
	_, err := q.client.InsertTx(ctx, native[TTx](tx), ImportArgs{JobID: jobID}, nil)
	return err
}

func (q enqueuer[TTx]) EnqueueRevert(ctx context.Context, tx *store.Tx, jobID int64) error {
	_, err := q.client.InsertTx(ctx, native[TTx](tx), RevertArgs{JobID: jobID}, nil)
	return err
}

func (q enqueuer[TTx]) EnqueueWebhooks(ctx context.Context, tx *store.Tx, ids []int64) error {
	_, err := q.client.InsertManyTx(ctx, native[TTx](tx), q.cfg.webhookJobs(ids))
	return err
}

package sqlite

import (
	"context"

	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// jobFinished is the one hook of every transition of a job to a terminal
// status, called inside that transition's transaction: the deliveries its
// event raises (store.InsertDeliveries) are written and queued in the same
// commit.
func (tx *Tx) jobFinished(ctx context.Context, job *vintry.ImportJob) error {
	ids, err := store.InsertDeliveries(ctx, tx.store(), job)
	if err != nil || len(ids) == 0 || tx.db.EnqueueWebhooks == nil {
		return err
	}
	return tx.db.EnqueueWebhooks(ctx, tx.Tx, ids)
}

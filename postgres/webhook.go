package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/vintry/vintry"
	"github.com/vintry/vintry/store"
)

// jobFinished is the one hook of every transition of a job to a terminal
// status, called inside that transition's transaction: it writes a delivery
// for each of the tenant's webhooks that wants the job's event and queues
// them in the same commit (a transactional outbox), so an event is neither
// lost when the process dies after the commit nor sent for a change that
// rolled back. Dry runs change nothing and raise no event.
func (tx *Tx) jobFinished(ctx context.Context, job *vintry.ImportJob) error {
	event, ok := vintry.JobEvent(job.Status)
	if !ok || job.Args.DryRun {
		return nil
	}
	rows, err := tx.Query(ctx, `
		INSERT INTO webhook_deliveries (tenant_id, webhook_id, job_id, event, created_at, updated_at)
		SELECT tenant_id, id, $2, $3, $4, $4 FROM webhooks WHERE tenant_id = $1 AND $3 = ANY (events)
		ORDER BY id RETURNING id`, job.TenantID, job.ID, event, tx.now)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil || len(ids) == 0 || tx.db.EnqueueWebhooks == nil {
		return err
	}
	return tx.db.EnqueueWebhooks(ctx, tx.Tx, ids)
}

// CreateWebhook implements vintry.WebhookService. It holds the tenant's
// write lock, so two nodes cannot both pass the webhook limit.
func (db *DB) CreateWebhook(ctx context.Context, w *vintry.Webhook) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		if err := tx.lockTenant(ctx, lockWrite, tenantID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = $1`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n >= vintry.MaxWebhooks {
			return vintry.Errorf(vintry.EINVALID, "A tenant may have at most %d webhooks.", vintry.MaxWebhooks)
		}
		w.Secret, w.CreatedAt = vintry.NewWebhookSecret(), tx.now
		return tx.QueryRow(ctx, `INSERT INTO webhooks (tenant_id, url, events, description, secret, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			tenantID, storableText(w.URL), nonNil(w.Events), storableText(w.Description), w.Secret, tx.now).Scan(&w.ID)
	})
}

// FindWebhooks implements vintry.WebhookService (oldest first).
func (db *DB) FindWebhooks(ctx context.Context, page vintry.PageRequest) ([]vintry.Webhook, vintry.Page, error) {
	var hooks []vintry.Webhook
	var p vintry.Page
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = $1`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, url, events, description, created_at FROM webhooks
			WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`, tenantID, page.Cursor.AfterID, page.PerPage+1)
		if err != nil {
			return err
		}
		hooks, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (vintry.Webhook, error) {
			var w vintry.Webhook
			err := row.Scan(&w.ID, &w.URL, &w.Events, &w.Description, &w.CreatedAt)
			return w, err
		})
		if err != nil {
			return err
		}
		hooks, p = vintry.Paginate(page, total, hooks, func(w *vintry.Webhook) int64 { return w.ID })
		return nil
	})
	return hooks, p, err
}

// DeleteWebhook implements vintry.WebhookService.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2`, id, tenantID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound)
		}
		return nil
	})
}

const deliverySelect = `SELECT id, webhook_id, job_id, event, status, attempts, response_codes, last_error,
	created_at, updated_at, completed_at FROM webhook_deliveries`

func scanDelivery(row pgx.Row) (vintry.WebhookDelivery, error) {
	var d vintry.WebhookDelivery
	var status string
	err := row.Scan(&d.ID, &d.WebhookID, &d.JobID, &d.Event, &status, &d.Attempts, &d.ResponseCodes, &d.LastError,
		&d.CreatedAt, &d.UpdatedAt, &d.CompletedAt)
	d.Status = vintry.DeliveryStatus(status)
	return d, err
}

// FindWebhookDeliveries implements vintry.WebhookService (newest first).
func (db *DB) FindWebhookDeliveries(ctx context.Context, webhookID int64, page vintry.PageRequest) ([]vintry.WebhookDelivery, vintry.Page, error) {
	var out []vintry.WebhookDelivery
	var p vintry.Page
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1 AND tenant_id = $2)`,
			webhookID, tenantID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound)
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1`, webhookID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, deliverySelect+` WHERE webhook_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
			webhookID, page.BeforeID(), page.PerPage+1)
		if err != nil {
			return err
		}
		if out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (vintry.WebhookDelivery, error) { return scanDelivery(row) }); err != nil {
			return err
		}
		out, p = vintry.Paginate(page, total, out, func(d *vintry.WebhookDelivery) int64 { return d.ID })
		return nil
	})
	return out, p, err
}

// FindPendingDelivery returns what a worker needs to attempt a delivery, by
// id alone (workers act for the delivery's own tenant); ENOTFOUND when the
// delivery is gone (its webhook was deleted).
func (db *DB) FindPendingDelivery(ctx context.Context, id int64) (*vintry.PendingDelivery, error) {
	pd := &vintry.PendingDelivery{}
	err := db.view(ctx, func(tx *Tx) error {
		d, err := scanDelivery(tx.QueryRow(ctx, deliverySelect+` WHERE id = $1`, id))
		if errors.Is(err, pgx.ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, "Delivery not found.")
		} else if err != nil {
			return err
		}
		pd.Delivery = d
		err = tx.QueryRow(ctx, `SELECT w.url, w.secret, t.slug, d.payload FROM webhook_deliveries d
			JOIN webhooks w ON w.id = d.webhook_id JOIN tenants t ON t.id = d.tenant_id WHERE d.id = $1`, id).
			Scan(&pd.URL, &pd.Secret, &pd.TenantSlug, &pd.Payload)
		if err != nil {
			return err
		}
		pd.Job, err = store.ScanImportJob(tx.store().QueryRow(ctx, store.ImportJobSelect+` WHERE id = ?`, d.JobID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return pd, nil
}

// RecordWebhookAttempt adds one attempt's outcome to a delivery. The first
// attempt's payload is kept, so every retry sends the same body.
func (db *DB) RecordWebhookAttempt(ctx context.Context, id int64, a vintry.WebhookAttempt) error {
	return db.update(ctx, func(tx *Tx) error {
		var completed any
		if a.Status != vintry.DeliveryPending {
			completed = tx.now
		}
		tag, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1,
			response_codes = array_append(response_codes, $2::integer), last_error = $3,
			payload = coalesce(payload, $4), updated_at = $5, completed_at = $6 WHERE id = $7`,
			string(a.Status), a.ResponseCode, storableText(a.Error), a.Payload, tx.now, completed, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, "Delivery not found.")
		}
		return nil
	})
}

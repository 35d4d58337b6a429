package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vintry/vintry"
)

// insertDeliveries writes, inside the transaction that ends job, a delivery
// for each of the tenant's webhooks that wants the job's event (a
// transactional outbox: an event is neither lost when the process dies after
// the commit nor sent for a change that rolled back), and returns their ids,
// ascending, for the engine to queue in the same commit. Dry runs change
// nothing and raise no event.
func insertDeliveries(ctx context.Context, tx *Tx, job *vintry.ImportJob) ([]int64, error) {
	event, ok := vintry.JobEvent(job.Status)
	if !ok || job.Args.DryRun {
		return nil, nil
	}
	ids, err := queryIDs(ctx, tx, `
		INSERT INTO webhook_deliveries (tenant_id, webhook_id, job_id, event, created_at, updated_at)
		SELECT tenant_id, id, ?, ?, ?, ? FROM webhooks WHERE tenant_id = ? AND `+tx.Dialect.ListHas("webhooks.events")+`
		ORDER BY id RETURNING id`, job.ID, event, tx.Now, tx.Now, job.TenantID, event)
	slices.Sort(ids) // RETURNING does not promise the insert order
	return ids, err
}

// CreateWebhook implements vintry.WebhookService. It holds the tenant's
// write lock, so two nodes cannot both pass the webhook limit.
func (s *Service) CreateWebhook(ctx context.Context, w *vintry.Webhook) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		if err := tx.Lock(ctx, LockWrite, tenantID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n >= vintry.MaxWebhooks {
			return vintry.Errorf(vintry.EINVALID, "A tenant may have at most %d webhooks.", vintry.MaxWebhooks)
		}
		w.Secret, w.CreatedAt = vintry.NewWebhookSecret(), tx.Now
		events := Strings(w.Events)
		if events == nil {
			events = Strings{}
		}
		return tx.QueryRow(ctx, `INSERT INTO webhooks (tenant_id, url, events, description, secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, tenantID, w.URL, events, w.Description, w.Secret, tx.Now).Scan(&w.ID)
	})
}

// FindWebhooks implements vintry.WebhookService (oldest first, without
// secrets).
func (s *Service) FindWebhooks(ctx context.Context, page vintry.PageRequest) ([]vintry.Webhook, vintry.Page, error) {
	var hooks []vintry.Webhook
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		hooks = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, url, events, description, created_at FROM webhooks
			WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, page.Cursor.AfterID, page.PerPage+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var w vintry.Webhook
			var events Strings
			if err := rows.Scan(&w.ID, &w.URL, &events, &w.Description, &w.CreatedAt); err != nil {
				return err
			}
			w.Events = events
			hooks = append(hooks, w)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		hooks, p = vintry.Paginate(page, total, hooks, func(w *vintry.Webhook) int64 { return w.ID })
		return nil
	})
	return hooks, p, err
}

// DeleteWebhook implements vintry.WebhookService.
func (s *Service) DeleteWebhook(ctx context.Context, id int64) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n == 0 {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound)
		}
		return nil
	})
}

const deliverySelect = `SELECT id, webhook_id, job_id, event, status, attempts, response_codes, last_error,
	created_at, updated_at, completed_at FROM webhook_deliveries`

func scanDelivery(row Row) (vintry.WebhookDelivery, error) {
	var d vintry.WebhookDelivery
	var status string
	var codes Ints
	err := row.Scan(&d.ID, &d.WebhookID, &d.JobID, &d.Event, &status, &d.Attempts, &codes, &d.LastError,
		&d.CreatedAt, &d.UpdatedAt, &d.CompletedAt)
	d.Status, d.ResponseCodes = vintry.DeliveryStatus(status), codes
	return d, err
}

// FindWebhookDeliveries implements vintry.WebhookService (newest first).
func (s *Service) FindWebhookDeliveries(ctx context.Context, webhookID int64, page vintry.PageRequest) ([]vintry.WebhookDelivery, vintry.Page, error) {
	var out []vintry.WebhookDelivery
	var p vintry.Page
	err := s.d.View(ctx, func(tx *Tx) error {
		out = nil
		tenantID, err := tx.TenantID()
		if err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND tenant_id = ?)`,
			webhookID, tenantID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound)
		}
		var total int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?`, webhookID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, deliverySelect+` WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
			webhookID, page.BeforeID(), page.PerPage+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		if err := rows.Err(); err != nil {
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
func (s *Service) FindPendingDelivery(ctx context.Context, id int64) (*vintry.PendingDelivery, error) {
	pd := &vintry.PendingDelivery{}
	err := s.d.View(ctx, func(tx *Tx) error {
		d, err := scanDelivery(tx.QueryRow(ctx, deliverySelect+` WHERE id = ?`, id))
		if errors.Is(err, ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, "Delivery not found.")
		} else if err != nil {
			return err
		}
		pd.Delivery = d
		err = tx.QueryRow(ctx, `SELECT w.url, w.secret, t.slug, d.payload FROM webhook_deliveries d
			JOIN webhooks w ON w.id = d.webhook_id JOIN tenants t ON t.id = d.tenant_id WHERE d.id = ?`, id).
			Scan(&pd.URL, &pd.Secret, &pd.TenantSlug, &pd.Payload)
		if err != nil {
			return err
		}
		pd.Job, err = scanImportJob(tx.QueryRow(ctx, importJobSelect+` WHERE id = ?`, d.JobID))
		return err
	})
	if err != nil {
		return nil, err
	}
	return pd, nil
}

// RecordWebhookAttempt adds one attempt's outcome to a delivery. The first
// attempt's payload is kept, so every retry sends the same body.
func (s *Service) RecordWebhookAttempt(ctx context.Context, id int64, a vintry.WebhookAttempt) error {
	return s.d.Update(ctx, func(tx *Tx) error {
		var completed *time.Time
		if a.Status != vintry.DeliveryPending {
			completed = &tx.Now
		}
		n, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
			response_codes = `+tx.Dialect.ListAppend("response_codes")+`, last_error = ?, payload = coalesce(payload, ?),
			updated_at = ?, completed_at = ? WHERE id = ?`,
			string(a.Status), a.ResponseCode, a.Error, a.Payload, tx.Now, completed, id)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("delivery %d: %w", id, vintry.Errorf(vintry.ENOTFOUND, "Delivery not found."))
		}
		return nil
	})
}

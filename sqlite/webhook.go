package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/vintry/vintry"
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
	// One statement, as on PostgreSQL: a delivery for each of the
	// tenant's webhooks whose events list holds this event.
	rows, err := tx.QueryContext(ctx, `
		INSERT INTO webhook_deliveries (tenant_id, webhook_id, job_id, event, created_at, updated_at)
		SELECT tenant_id, id, ?, ?, ?, ? FROM webhooks
		WHERE tenant_id = ? AND EXISTS (SELECT 1 FROM json_each(webhooks.events) WHERE value = ?)
		ORDER BY id RETURNING id`,
		job.ID, event, formatTime(tx.now), formatTime(tx.now), job.TenantID, event)
	if err != nil {
		return err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	slices.Sort(ids) // RETURNING does not promise the insert order
	if len(ids) == 0 || tx.db.EnqueueWebhooks == nil {
		return nil
	}
	return tx.db.EnqueueWebhooks(ctx, tx.Tx, ids)
}

// CreateWebhook implements vintry.WebhookService.
func (db *DB) CreateWebhook(ctx context.Context, w *vintry.Webhook) error {
	return db.update(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n >= vintry.MaxWebhooks {
			return vintry.Errorf(vintry.EINVALID, "A tenant may have at most %d webhooks.", vintry.MaxWebhooks)
		}
		w.Secret, w.CreatedAt = vintry.NewWebhookSecret(), tx.now
		return tx.QueryRowContext(ctx, `INSERT INTO webhooks (tenant_id, url, events, description, secret, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			tenantID, w.URL, jsonText(nonNil(w.Events)), w.Description, w.Secret, formatTime(tx.now)).Scan(&w.ID)
	})
}

// webhooks returns up to limit of a tenant's webhooks with ids above
// afterID, oldest first, without secrets.
func (tx *Tx) webhooks(ctx context.Context, tenantID, afterID int64, limit int) ([]vintry.Webhook, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, url, events, description, created_at FROM webhooks
		WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`, tenantID, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []vintry.Webhook
	for rows.Next() {
		var w vintry.Webhook
		var events, created string
		if err := rows.Scan(&w.ID, &w.URL, &events, &w.Description, &created); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(events), &w.Events); err != nil {
			return nil, err
		}
		w.CreatedAt = parseTime(created)
		out = append(out, w)
	}
	return out, rows.Err()
}

// FindWebhooks implements vintry.WebhookService.
func (db *DB) FindWebhooks(ctx context.Context, page vintry.PageRequest) ([]vintry.Webhook, vintry.Page, error) {
	var hooks []vintry.Webhook
	var p vintry.Page
	err := db.view(ctx, func(tx *Tx) error {
		tenantID, err := tx.tenantID()
		if err != nil {
			return err
		}
		var total int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks WHERE tenant_id = ?`, tenantID).Scan(&total); err != nil {
			return err
		}
		if hooks, err = tx.webhooks(ctx, tenantID, page.Cursor.AfterID, page.PerPage+1); err != nil {
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
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound))
		}
		return nil
	})
}

const deliverySelect = `SELECT id, webhook_id, job_id, event, status, attempts, response_codes, last_error,
	created_at, updated_at, completed_at FROM webhook_deliveries`

func scanDelivery(row interface{ Scan(...any) error }) (*vintry.WebhookDelivery, error) {
	d := &vintry.WebhookDelivery{}
	var status, codes, created, updated string
	var completed sql.NullString
	err := row.Scan(&d.ID, &d.WebhookID, &d.JobID, &d.Event, &status, &d.Attempts, &codes, &d.LastError,
		&created, &updated, &completed)
	if err != nil {
		return nil, err
	}
	d.Status = vintry.DeliveryStatus(status)
	d.CreatedAt, d.UpdatedAt, d.CompletedAt = parseTime(created), parseTime(updated), parseNullTime(completed)
	return d, json.Unmarshal([]byte(codes), &d.ResponseCodes)
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
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = ? AND tenant_id = ?)`,
			webhookID, tenantID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return vintry.Errorf(vintry.ENOTFOUND, vintry.MsgWebhookNotFound)
		}
		var total int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ?`, webhookID).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, deliverySelect+` WHERE webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
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
			out = append(out, *d)
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
func (db *DB) FindPendingDelivery(ctx context.Context, id int64) (*vintry.PendingDelivery, error) {
	pd := &vintry.PendingDelivery{}
	err := db.view(ctx, func(tx *Tx) error {
		d, err := scanDelivery(tx.QueryRowContext(ctx, deliverySelect+` WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return vintry.Errorf(vintry.ENOTFOUND, "Delivery not found.")
		} else if err != nil {
			return err
		}
		pd.Delivery = *d
		err = tx.QueryRowContext(ctx, `SELECT w.url, w.secret, t.slug, d.payload FROM webhook_deliveries d
			JOIN webhooks w ON w.id = d.webhook_id JOIN tenants t ON t.id = d.tenant_id WHERE d.id = ?`, id).
			Scan(&pd.URL, &pd.Secret, &pd.TenantSlug, &pd.Payload)
		if err != nil {
			return err
		}
		pd.Job, err = tx.findJobForWorker(ctx, d.JobID)
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
			completed = formatTime(tx.now)
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
			response_codes = json_insert(response_codes, '$[#]', ?), last_error = ?, payload = coalesce(payload, ?),
			updated_at = ?, completed_at = ? WHERE id = ?`,
			string(a.Status), a.ResponseCode, a.Error, a.Payload, formatTime(tx.now), completed, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("delivery %d: %w", id, vintry.Errorf(vintry.ENOTFOUND, "Delivery not found.")))
		}
		return nil
	})
}

package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

const webhookColumns = `id, app_id, route_path, description, enabled, token_hash, secret, created_at, updated_at`

func webhookNotFound(id string) error {
	return picasso.Errorf(picasso.ENOTFOUND, "Webhook %s not found", id)
}

func fromStore(w *picasso.Webhook) *picasso.Webhook {
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w
}

// CreateWebhook inserts webhook, giving it an ID when it has none and
// setting its timestamps; ENOTFOUND when the route does not exist.
func (d *DB) CreateWebhook(ctx context.Context, webhook *picasso.Webhook) error {
	id := webhook.ID
	if id == "" {
		id = newID()
	}
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, webhook.AppID, webhook.RoutePath, webhook.Description, webhook.Enabled, webhook.TokenHash,
			webhook.Secret, stamp, stamp)
		switch classify(err) {
		case failureForeignKey:
			return picasso.Wrap(picasso.ENOTFOUND, err, "Route %s not found", webhook.RoutePath)
		case failureDuplicate:
			// Only a caller reusing an ID or a token can get here; random
			// ones of 128 and 256 bits do not collide.
			return picasso.Wrap(picasso.ECONFLICT, err, "Webhook already exists")
		}
		return err
	})
	if err != nil {
		return err
	}
	webhook.ID, webhook.CreatedAt, webhook.UpdatedAt = id, stamp, stamp
	return nil
}

// GetWebhook returns the route's webhook with that ID.
func (d *DB) GetWebhook(ctx context.Context, appID, path, id string) (*picasso.Webhook, error) {
	var w picasso.Webhook
	err := d.db.GetContext(ctx, &w, `SELECT `+webhookColumns+` FROM webhooks WHERE app_id = ? AND route_path = ? AND id = ?`,
		appID, path, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, webhookNotFound(id)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return fromStore(&w), nil
}

// webhookWithApp is one row of the webhook and its app joined.
type webhookWithApp struct {
	picasso.Webhook
	App appRow `db:"app"`
}

// GetWebhookByToken returns the webhook whose token hashes to tokenHash
// and its app, in one query: it runs on every call through a webhook.
// The message names no token, as it may reach a log.
func (d *DB) GetWebhookByToken(ctx context.Context, tokenHash string) (*picasso.Webhook, *picasso.App, error) {
	var row webhookWithApp
	err := d.db.GetContext(ctx, &row, `SELECT w.id, w.app_id, w.route_path, w.description, w.enabled, w.token_hash, `+
		`w.secret, w.created_at, w.updated_at, a.id AS "app.id", a.project_id AS "app.project_id", `+
		`a.name AS "app.name", a.backend_name AS "app.backend_name", a.description AS "app.description", `+
		`a.config AS "app.config", a.created_at AS "app.created_at", a.updated_at AS "app.updated_at" `+
		`FROM webhooks w JOIN apps a ON a.id = w.app_id WHERE w.token_hash = ?`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, picasso.Errorf(picasso.ENOTFOUND, "Webhook not found")
	}
	if err != nil {
		return nil, nil, dbError(err)
	}
	app, err := row.App.toApp()
	if err != nil {
		return nil, nil, err
	}
	return fromStore(&row.Webhook), app, nil
}

// ListWebhooks returns the route's webhooks whose ID sorts after
// page.Marker, by ID.
func (d *DB) ListWebhooks(ctx context.Context, appID, path string, page picasso.Page) ([]*picasso.Webhook, error) {
	var rows []picasso.Webhook
	err := d.db.SelectContext(ctx, &rows, `SELECT `+webhookColumns+` FROM webhooks `+
		`WHERE app_id = ? AND route_path = ? AND id > ? ORDER BY id LIMIT ?`,
		appID, path, page.Marker, pageLimit(page))
	if err != nil {
		return nil, dbError(err)
	}
	webhooks := make([]*picasso.Webhook, len(rows))
	for i := range rows {
		webhooks[i] = fromStore(&rows[i])
	}
	return webhooks, nil
}

// UpdateWebhook writes Description, Enabled, TokenHash and Secret of the
// webhook with webhook.ID and stamps UpdatedAt. It writes only if the row
// still has the UpdatedAt the caller read: otherwise two changes made at
// once (an edit and a rotation) could write a revoked token back.
func (d *DB) UpdateWebhook(ctx context.Context, webhook *picasso.Webhook) error {
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET description = ?, enabled = ?, token_hash = ?, secret = ?, `+
			`updated_at = ? WHERE id = ? AND updated_at = ?`,
			webhook.Description, webhook.Enabled, webhook.TokenHash, webhook.Secret, stamp, webhook.ID, webhook.UpdatedAt)
		if classify(err) == failureDuplicate {
			return picasso.Wrap(picasso.ECONFLICT, err, "Webhook token already in use")
		}
		err = expectOneRow(res, err, errNoRowMatched)
		if errors.Is(err, errNoRowMatched) {
			return webhookChangedOrGone(ctx, tx, webhook.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	webhook.UpdatedAt = stamp
	return nil
}

var errNoRowMatched = errors.New("no row matched")

// webhookChangedOrGone tells why an update matched no row.
func webhookChangedOrGone(ctx context.Context, tx *sqlx.Tx, id string) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM webhooks WHERE id = ?`, id); err != nil {
		return err
	}
	if n == 0 {
		return webhookNotFound(id)
	}
	return picasso.Errorf(picasso.ECONFLICT, "Webhook %s was changed meanwhile; read it again and retry", id)
}

// DeleteWebhook removes the route's webhook with that ID.
func (d *DB) DeleteWebhook(ctx context.Context, appID, path, id string) error {
	return d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE app_id = ? AND route_path = ? AND id = ?`,
			appID, path, id)
		return expectOneRow(res, err, webhookNotFound(id))
	})
}

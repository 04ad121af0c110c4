package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

const routeColumns = `app_id, path, type, image, is_public, forward_token, memory, timeout, max_concurrency, format, ` +
	`config, headers, callback_url, record_sync, max_attempts, runtime, handler, code_version, created_at, updated_at`

// routeRow is a route as stored: its maps are JSON text columns.
type routeRow struct {
	picasso.Route
	Config  string `db:"config"`
	Headers string `db:"headers"`
}

func (r *routeRow) toRoute() (*picasso.Route, error) {
	route := r.Route
	if err := unmarshalJSON(r.Config, &route.Config); err != nil {
		return nil, err
	}
	if err := unmarshalJSON(r.Headers, &route.Headers); err != nil {
		return nil, err
	}
	route.CreatedAt, route.UpdatedAt = route.CreatedAt.UTC(), route.UpdatedAt.UTC()
	return &route, nil
}

// CreateRoute inserts route and sets its timestamps; ECONFLICT when the
// app has the path already, ENOTFOUND when there is no such app.
func (d *DB) CreateRoute(ctx context.Context, route *picasso.Route) error {
	return d.createRoute(ctx, route, nil)
}

// createRoute is CreateRoute that runs check, when given, first in the
// insert's transaction; an error of check cancels the insert.
func (d *DB) createRoute(ctx context.Context, route *picasso.Route, check func(tx *sqlx.Tx) error) error {
	config, headers := marshalJSON(route.Config), marshalJSON(route.Headers)
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO routes (`+routeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			route.AppID, route.Path, route.Type, route.Image, route.IsPublic, route.ForwardToken, route.Memory, route.Timeout,
			route.MaxConcurrency, route.Format, config, headers, route.CallbackURL, route.RecordSync, route.MaxAttempts,
			route.Runtime, route.Handler, route.CodeVersion, stamp, stamp)
		switch classify(err) {
		case failureDuplicate:
			return picasso.Wrap(picasso.ECONFLICT, err, "Route %s already exists on app %s",
				route.Path, appName(ctx, tx, route.AppID))
		case failureForeignKey:
			return picasso.Wrap(picasso.ENOTFOUND, err, "App %s not found", route.AppID)
		}
		if err != nil {
			return err
		}
		return d.recordAppChange(ctx, tx, route.AppID, route.Path)
	})
	if err != nil {
		return err
	}
	route.CreatedAt, route.UpdatedAt = stamp, stamp
	return nil
}

// appName names the app for a message, falling back to its id.
func appName(ctx context.Context, tx *sqlx.Tx, appID string) string {
	var name string
	if err := tx.GetContext(ctx, &name, `SELECT name FROM apps WHERE id = ?`, appID); err != nil {
		return appID
	}
	return name
}

// GetRoute returns the app's route at path.
func (d *DB) GetRoute(ctx context.Context, appID, path string) (*picasso.Route, error) {
	var row routeRow
	err := d.db.GetContext(ctx, &row, `SELECT `+routeColumns+` FROM routes WHERE app_id = ? AND path = ?`, appID, path)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, routeNotFound(path)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return row.toRoute()
}

// ListRoutes returns the app's routes whose path sorts after page.Marker,
// by path.
func (d *DB) ListRoutes(ctx context.Context, appID string, page picasso.Page) ([]*picasso.Route, error) {
	var rows []routeRow
	err := d.db.SelectContext(ctx, &rows,
		`SELECT `+routeColumns+` FROM routes WHERE app_id = ? AND path > ? ORDER BY path LIMIT ?`,
		appID, page.Marker, pageLimit(page))
	if err != nil {
		return nil, dbError(err)
	}
	routes := make([]*picasso.Route, len(rows))
	for i := range rows {
		if routes[i], err = rows[i].toRoute(); err != nil {
			return nil, err
		}
	}
	return routes, nil
}

// UpdateRoute writes every field but AppID, Path, CodeVersion (PutCode's)
// and CreatedAt, and stamps UpdatedAt.
func (d *DB) UpdateRoute(ctx context.Context, route *picasso.Route) error {
	config, headers := marshalJSON(route.Config), marshalJSON(route.Headers)
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE routes SET type = ?, image = ?, is_public = ?, forward_token = ?, memory = ?, `+
			`timeout = ?, max_concurrency = ?, format = ?, config = ?, headers = ?, callback_url = ?, record_sync = ?, `+
			`max_attempts = ?, runtime = ?, handler = ?, updated_at = ? WHERE app_id = ? AND path = ?`,
			route.Type, route.Image, route.IsPublic, route.ForwardToken, route.Memory, route.Timeout, route.MaxConcurrency,
			route.Format, config, headers, route.CallbackURL, route.RecordSync, route.MaxAttempts, route.Runtime, route.Handler,
			stamp, route.AppID, route.Path)
		if err := expectOneRow(res, err, routeNotFound(route.Path)); err != nil {
			return err
		}
		return d.recordAppChange(ctx, tx, route.AppID, route.Path)
	})
	if err != nil {
		return err
	}
	route.UpdatedAt = stamp
	return nil
}

// DeleteRoute removes the app's route at path.
func (d *DB) DeleteRoute(ctx context.Context, appID, path string) error {
	return d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM routes WHERE app_id = ? AND path = ?`, appID, path)
		if err := expectOneRow(res, err, routeNotFound(path)); err != nil {
			return err
		}
		if err := deleteRouteCode(ctx, tx, appID, path); err != nil {
			return err
		}
		return d.recordAppChange(ctx, tx, appID, path)
	})
}

package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

const appColumns = `id, project_id, name, backend_name, description, config, created_at, updated_at`

// appRow is an app as stored: its config map is a JSON text column.
type appRow struct {
	picasso.App
	Config string `db:"config"`
}

func (r *appRow) toApp() (*picasso.App, error) {
	app := r.App
	if err := unmarshalJSON(r.Config, &app.Config); err != nil {
		return nil, err
	}
	app.CreatedAt, app.UpdatedAt = app.CreatedAt.UTC(), app.UpdatedAt.UTC()
	return &app, nil
}

// newID returns a random UUID as 32 hex digits, the form of OpenStack ids.
func newID() string {
	id := uuid.New()
	return hex.EncodeToString(id[:])
}

// CreateApp inserts app, giving it an ID when it has none and setting its
// timestamps; ECONFLICT when the project has the name already or the
// backend name is taken.
func (d *DB) CreateApp(ctx context.Context, app *picasso.App) error {
	return d.createApp(ctx, app, nil)
}

// createApp is CreateApp that runs check, when given, first in the
// insert's transaction; an error of check cancels the insert.
func (d *DB) createApp(ctx context.Context, app *picasso.App, check func(tx *sqlx.Tx) error) error {
	id := app.ID
	if id == "" {
		id = newID()
	}
	config := marshalJSON(app.Config)
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO apps (`+appColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			id, app.ProjectID, app.Name, app.BackendName, app.Description, config, stamp, stamp)
		if classify(err) == failureDuplicate {
			return picasso.Wrap(picasso.ECONFLICT, err, "App %s already exists", app.Name)
		}
		if err != nil {
			return err
		}
		return d.recordChange(ctx, tx, app.BackendName, "")
	})
	if err != nil {
		return err
	}
	app.ID, app.CreatedAt, app.UpdatedAt = id, stamp, stamp
	return nil
}

// GetApp returns the project's app of that name.
func (d *DB) GetApp(ctx context.Context, projectID, name string) (*picasso.App, error) {
	return d.getApp(ctx, name, `SELECT `+appColumns+` FROM apps WHERE project_id = ? AND name = ?`, projectID, name)
}

// GetAppByBackendName returns the app the backend knows by backendName.
func (d *DB) GetAppByBackendName(ctx context.Context, backendName string) (*picasso.App, error) {
	return d.getApp(ctx, backendName, `SELECT `+appColumns+` FROM apps WHERE backend_name = ?`, backendName)
}

func (d *DB) getApp(ctx context.Context, name, query string, args ...any) (*picasso.App, error) {
	var row appRow
	err := d.db.GetContext(ctx, &row, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, appNotFound(name)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return row.toApp()
}

// ListApps returns the project's apps named after page.Marker, by name.
func (d *DB) ListApps(ctx context.Context, projectID string, page picasso.Page) ([]*picasso.App, error) {
	return d.selectApps(ctx, `SELECT `+appColumns+` FROM apps WHERE project_id = ? AND name > ? ORDER BY name LIMIT ?`,
		projectID, page.Marker, pageLimit(page))
}

// ListAllApps returns one page of every project's apps ordered by
// backend name (the marker is a backend name); the reconciler walks it.
func (d *DB) ListAllApps(ctx context.Context, page picasso.Page) ([]*picasso.App, error) {
	return d.selectApps(ctx, `SELECT `+appColumns+` FROM apps WHERE backend_name > ? ORDER BY backend_name LIMIT ?`,
		page.Marker, pageLimit(page))
}

func (d *DB) selectApps(ctx context.Context, query string, args ...any) ([]*picasso.App, error) {
	var rows []appRow
	if err := d.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, dbError(err)
	}
	apps := make([]*picasso.App, len(rows))
	for i := range rows {
		var err error
		if apps[i], err = rows[i].toApp(); err != nil {
			return nil, err
		}
	}
	return apps, nil
}

// UpdateApp writes the Description and Config of the app with app.ID and
// stamps UpdatedAt.
func (d *DB) UpdateApp(ctx context.Context, app *picasso.App) error {
	config := marshalJSON(app.Config)
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE apps SET description = ?, config = ?, updated_at = ? WHERE id = ?`,
			app.Description, config, stamp, app.ID)
		if err := expectOneRow(res, err, appNotFound(app.Name)); err != nil {
			return err
		}
		return d.recordAppChange(ctx, tx, app.ID, "")
	})
	if err != nil {
		return err
	}
	app.UpdatedAt = stamp
	return nil
}

// DeleteApp removes the app; ECONFLICT while it still has routes.
func (d *DB) DeleteApp(ctx context.Context, appID string) error {
	return d.write(ctx, func(tx *sqlx.Tx) error {
		var app struct {
			Name        string `db:"name"`
			BackendName string `db:"backend_name"`
		}
		err := tx.GetContext(ctx, &app, `SELECT name, backend_name FROM apps WHERE id = ?`, appID)
		if errors.Is(err, sql.ErrNoRows) {
			return appNotFound(appID)
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM apps WHERE id = ?`, appID)
		if classify(err) == failureForeignKey {
			return picasso.Wrap(picasso.ECONFLICT, err, "App %s has routes; delete them first", app.Name)
		}
		if err != nil {
			return err
		}
		return d.recordChange(ctx, tx, app.BackendName, "")
	})
}

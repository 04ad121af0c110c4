package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

var _ picasso.TriggerStore = (*DB)(nil)

// triggerSelect reads a trigger with the name of its app, which views and
// calls need and which the trigger row does not repeat.
const triggerSelect = `SELECT t.id, t.project_id, t.name, t.app_id, a.name AS app_name, t.route_path, t.source, ` +
	`t.filter, t.enabled, t.admin, t.messages_received, t.calls_created, t.failures, t.dead_lettered, ` +
	`t.last_error, t.last_error_at, t.created_at, t.updated_at FROM triggers t JOIN apps a ON a.id = t.app_id `

// triggerRow is a trigger as stored: source and filter are JSON text.
type triggerRow struct {
	ID               string       `db:"id"`
	ProjectID        string       `db:"project_id"`
	Name             string       `db:"name"`
	AppID            string       `db:"app_id"`
	AppName          string       `db:"app_name"`
	RoutePath        string       `db:"route_path"`
	Source           string       `db:"source"`
	Filter           string       `db:"filter"`
	Enabled          bool         `db:"enabled"`
	Admin            bool         `db:"admin"`
	MessagesReceived int64        `db:"messages_received"`
	CallsCreated     int64        `db:"calls_created"`
	Failures         int64        `db:"failures"`
	DeadLettered     int64        `db:"dead_lettered"`
	LastError        string       `db:"last_error"`
	LastErrorAt      sql.NullTime `db:"last_error_at"`
	CreatedAt        time.Time    `db:"created_at"`
	UpdatedAt        time.Time    `db:"updated_at"`
}

func (r *triggerRow) toTrigger() (*picasso.Trigger, error) {
	t := &picasso.Trigger{
		ID: r.ID, ProjectID: r.ProjectID, Name: r.Name, AppID: r.AppID, AppName: r.AppName, RoutePath: r.RoutePath,
		Enabled: r.Enabled, Admin: r.Admin, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Status: picasso.TriggerStatus{
			MessagesReceived: r.MessagesReceived, CallsCreated: r.CallsCreated, Failures: r.Failures,
			DeadLettered: r.DeadLettered, LastError: r.LastError, LastErrorAt: r.LastErrorAt.Time.UTC(),
		},
	}
	if err := json.Unmarshal([]byte(r.Source), &t.Source); err != nil {
		return nil, picasso.Wrap(picasso.EINTERNAL, err, "Corrupt trigger source in the database")
	}
	// Numbers stay json.Number, as the gateway decoded them, so that a
	// filter compares values exactly as the client wrote them.
	dec := json.NewDecoder(bytes.NewReader([]byte(r.Filter)))
	dec.UseNumber()
	if err := dec.Decode(&t.Filter); err != nil {
		return nil, picasso.Wrap(picasso.EINTERNAL, err, "Corrupt trigger filter in the database")
	}
	return t, nil
}

func triggerNotFound(id string) error {
	return picasso.Errorf(picasso.ENOTFOUND, "Trigger %s not found", id)
}

func triggerJSON(t *picasso.Trigger) (source, filter string, err error) {
	s, err := json.Marshal(t.Source)
	if err != nil {
		return "", "", picasso.Wrap(picasso.EINVALID, err, "Invalid trigger source")
	}
	f, err := json.Marshal(t.Filter)
	if err != nil {
		return "", "", picasso.Wrap(picasso.EINVALID, err, "Invalid trigger filter")
	}
	return string(s), string(f), nil
}

func triggerWriteError(t *picasso.Trigger, err error) error {
	switch classify(err) {
	case failureDuplicate:
		return picasso.Wrap(picasso.ECONFLICT, err, "Trigger %s already exists", t.Name)
	case failureForeignKey:
		return picasso.Wrap(picasso.ENOTFOUND, err, "Route %s not found", t.RoutePath)
	}
	return err
}

// CreateTrigger inserts t, giving it an ID when it has none and setting
// its timestamps; ENOTFOUND when the route does not exist.
func (d *DB) CreateTrigger(ctx context.Context, t *picasso.Trigger, limit int64) error {
	source, filter, err := triggerJSON(t)
	if err != nil {
		return err
	}
	if err := d.ensureQuotaLock(ctx, t.ProjectID); err != nil {
		return err
	}
	id := t.ID
	if id == "" {
		id = newID()
	}
	stamp := d.now()
	err = d.write(ctx, func(tx *sqlx.Tx) error {
		if err := d.withinQuota(ctx, tx, t.ProjectID, picasso.ResourceTriggers, countTriggers, limit); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO triggers (id, project_id, name, app_id, route_path, source, filter, `+
			`enabled, admin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, t.ProjectID, t.Name, t.AppID, t.RoutePath, source, filter, t.Enabled, t.Admin, stamp, stamp)
		return triggerWriteError(t, err)
	})
	if err != nil {
		return err
	}
	t.ID, t.CreatedAt, t.UpdatedAt = id, stamp, stamp
	return nil
}

// GetTrigger returns the project's trigger with that ID.
func (d *DB) GetTrigger(ctx context.Context, projectID, id string) (*picasso.Trigger, error) {
	var row triggerRow
	err := d.db.GetContext(ctx, &row, triggerSelect+`WHERE t.project_id = ? AND t.id = ?`, projectID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, triggerNotFound(id)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return row.toTrigger()
}

// ListTriggers returns the project's triggers whose ID sorts after
// page.Marker, by ID.
func (d *DB) ListTriggers(ctx context.Context, projectID string, page picasso.Page) ([]*picasso.Trigger, error) {
	return d.selectTriggers(ctx, triggerSelect+`WHERE t.project_id = ? AND t.id > ? ORDER BY t.id LIMIT ?`,
		projectID, page.Marker, pageLimit(page))
}

// EnabledTriggers returns every enabled trigger of every project.
func (d *DB) EnabledTriggers(ctx context.Context) ([]*picasso.Trigger, error) {
	return d.selectTriggers(ctx, triggerSelect+`WHERE t.enabled = ? ORDER BY t.id`, true)
}

func (d *DB) selectTriggers(ctx context.Context, query string, args ...any) ([]*picasso.Trigger, error) {
	var rows []triggerRow
	if err := d.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, dbError(err)
	}
	triggers := make([]*picasso.Trigger, 0, len(rows))
	for i := range rows {
		t, err := rows[i].toTrigger()
		if err != nil {
			return nil, err
		}
		triggers = append(triggers, t)
	}
	return triggers, nil
}

// UpdateTrigger writes the client fields and Admin of the project's
// trigger with t.ID and stamps UpdatedAt.
func (d *DB) UpdateTrigger(ctx context.Context, t *picasso.Trigger) error {
	source, filter, err := triggerJSON(t)
	if err != nil {
		return err
	}
	stamp := d.now()
	err = d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE triggers SET name = ?, app_id = ?, route_path = ?, source = ?, `+
			`filter = ?, enabled = ?, admin = ?, updated_at = ? WHERE project_id = ? AND id = ?`,
			t.Name, t.AppID, t.RoutePath, source, filter, t.Enabled, t.Admin, stamp, t.ProjectID, t.ID)
		return expectOneRow(res, triggerWriteError(t, err), triggerNotFound(t.ID))
	})
	if err != nil {
		return err
	}
	t.UpdatedAt = stamp
	return nil
}

// DeleteTrigger removes the project's trigger with that ID.
func (d *DB) DeleteTrigger(ctx context.Context, projectID, id string) error {
	return d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM triggers WHERE project_id = ? AND id = ?`, projectID, id)
		return expectOneRow(res, err, triggerNotFound(id))
	})
}

// AddTriggerStatus adds delta to the trigger's counters. It is not a
// write of the generation: status changes invalidate no cache.
func (d *DB) AddTriggerStatus(ctx context.Context, id string, delta picasso.TriggerStatusDelta) error {
	query := `UPDATE triggers SET messages_received = messages_received + ?, calls_created = calls_created + ?, ` +
		`failures = failures + ?, dead_lettered = dead_lettered + ?`
	args := []any{delta.MessagesReceived, delta.CallsCreated, delta.Failures, delta.DeadLettered}
	if delta.LastError != "" {
		query += `, last_error = ?, last_error_at = ?`
		args = append(args, truncate(delta.LastError, 1024), delta.LastErrorAt.UTC().Truncate(time.Microsecond))
	}
	_, err := d.exec(ctx, query+` WHERE id = ?`, append(args, id)...)
	return dbError(err)
}

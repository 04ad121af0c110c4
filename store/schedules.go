package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

var _ picasso.ScheduleStore = (*DB)(nil)

// scheduleSelect reads schedules with the name of their app, which the
// views and the calls of a tick need.
const scheduleSelect = `SELECT s.id, s.project_id, s.app_id, a.name AS app_name, s.route_path, s.name, s.pattern, ` +
	`s.timezone, s.start_at, s.count, s.input, s.enabled, s.next_run_at, s.last_run_at, s.runs, ` +
	`s.created_at, s.updated_at FROM schedules s JOIN apps a ON a.id = s.app_id `

// scheduleRow is a schedule as stored: its optional times are NULL when unset.
type scheduleRow struct {
	ID        string       `db:"id"`
	ProjectID string       `db:"project_id"`
	AppID     string       `db:"app_id"`
	AppName   string       `db:"app_name"`
	RoutePath string       `db:"route_path"`
	Name      string       `db:"name"`
	Pattern   string       `db:"pattern"`
	Timezone  string       `db:"timezone"`
	StartAt   sql.NullTime `db:"start_at"`
	Count     int          `db:"count"`
	Input     string       `db:"input"`
	Enabled   bool         `db:"enabled"`
	NextRunAt sql.NullTime `db:"next_run_at"`
	LastRunAt sql.NullTime `db:"last_run_at"`
	Runs      int          `db:"runs"`
	CreatedAt time.Time    `db:"created_at"`
	UpdatedAt time.Time    `db:"updated_at"`
}

func (r *scheduleRow) toSchedule() *picasso.Schedule {
	return &picasso.Schedule{
		ID:        r.ID,
		ProjectID: r.ProjectID,
		AppID:     r.AppID,
		AppName:   r.AppName,
		RoutePath: r.RoutePath,
		Name:      r.Name,
		Pattern:   r.Pattern,
		Timezone:  r.Timezone,
		StartAt:   fromNullTime(r.StartAt),
		Count:     r.Count,
		Input:     r.Input,
		Enabled:   r.Enabled,
		NextRunAt: fromNullTime(r.NextRunAt),
		LastRunAt: fromNullTime(r.LastRunAt),
		Runs:      r.Runs,
		CreatedAt: r.CreatedAt.UTC(),
		UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// nullTime stores the zero time as NULL and every other time in UTC with
// the microseconds both databases keep, so that equal instants compare
// equal in SQL whichever replica wrote them.
func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

func fromNullTime(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

func scheduleNotFound(id string) error {
	return picasso.Errorf(picasso.ENOTFOUND, "Schedule %s not found", id)
}

// CreateSchedule inserts s unless its project has limit schedules
// already (function_schedules), counted under the project's quota lock so
// that two concurrent creates cannot both take the last slot.
func (d *DB) CreateSchedule(ctx context.Context, s *picasso.Schedule, limit int64) error {
	id := s.ID
	if id == "" {
		id = newID()
	}
	if err := d.ensureQuotaLock(ctx, s.ProjectID); err != nil {
		return err
	}
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		if err := d.withinQuota(ctx, tx, s.ProjectID, picasso.ResourceSchedules, countSchedules, limit); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schedules (id, project_id, app_id, route_path, name, pattern, `+
			`timezone, start_at, count, input, enabled, next_run_at, last_run_at, runs, created_at, updated_at) `+
			`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, ?, ?)`,
			id, s.ProjectID, s.AppID, s.RoutePath, s.Name, s.Pattern, s.Timezone, nullTime(s.StartAt), s.Count,
			s.Input, s.Enabled, nullTime(s.NextRunAt), stamp, stamp)
		switch classify(err) {
		case failureForeignKey:
			return picasso.Wrap(picasso.ENOTFOUND, err, "Route %s not found", s.RoutePath)
		case failureDuplicate:
			return picasso.Wrap(picasso.ECONFLICT, err, "Schedule %s already exists", s.Name)
		}
		return dbError(err)
	})
	if err != nil {
		return err
	}
	s.ID, s.CreatedAt, s.UpdatedAt = id, stamp, stamp
	s.Runs, s.LastRunAt = 0, time.Time{}
	s.StartAt, s.NextRunAt = fromNullTime(nullTime(s.StartAt)), fromNullTime(nullTime(s.NextRunAt))
	return nil
}

// GetSchedule returns the project's schedule with that ID.
func (d *DB) GetSchedule(ctx context.Context, projectID, id string) (*picasso.Schedule, error) {
	var row scheduleRow
	err := d.db.GetContext(ctx, &row, scheduleSelect+`WHERE s.project_id = ? AND s.id = ?`, projectID, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scheduleNotFound(id)
	}
	if err != nil {
		return nil, dbError(err)
	}
	return row.toSchedule(), nil
}

// ListSchedules returns the project's schedules whose ID sorts after
// page.Marker, by ID.
func (d *DB) ListSchedules(ctx context.Context, projectID string, page picasso.Page) ([]*picasso.Schedule, error) {
	return d.selectSchedules(ctx, scheduleSelect+`WHERE s.project_id = ? AND s.id > ? ORDER BY s.id LIMIT ?`,
		projectID, page.Marker, pageLimit(page))
}

// DueSchedules returns enabled schedules whose next tick is at or before
// now, the most overdue first, so that a backlog drains in order.
func (d *DB) DueSchedules(ctx context.Context, now time.Time, limit int) ([]*picasso.Schedule, error) {
	return d.selectSchedules(ctx, scheduleSelect+`WHERE s.enabled = ? AND s.next_run_at IS NOT NULL `+
		`AND s.next_run_at <= ? ORDER BY s.next_run_at, s.id LIMIT ?`, true, nullTime(now), limit)
}

func (d *DB) selectSchedules(ctx context.Context, query string, args ...any) ([]*picasso.Schedule, error) {
	var rows []scheduleRow
	if err := d.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, dbError(err)
	}
	schedules := make([]*picasso.Schedule, len(rows))
	for i := range rows {
		schedules[i] = rows[i].toSchedule()
	}
	return schedules, nil
}

// UpdateSchedule writes what a client may change, plus NextRunAt, only if
// the row still has the UpdatedAt the caller read. Firing a tick does not
// touch UpdatedAt, so an edit never conflicts with the scheduler; it never
// writes Runs or LastRunAt either, so it cannot undo a tick that fired.
func (d *DB) UpdateSchedule(ctx context.Context, s *picasso.Schedule) error {
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE schedules SET name = ?, pattern = ?, timezone = ?, start_at = ?, `+
			`count = ?, input = ?, enabled = ?, next_run_at = ?, updated_at = ? WHERE id = ? AND updated_at = ?`,
			s.Name, s.Pattern, s.Timezone, nullTime(s.StartAt), s.Count, s.Input, s.Enabled, nullTime(s.NextRunAt),
			stamp, s.ID, s.UpdatedAt)
		if classify(err) == failureDuplicate {
			return picasso.Wrap(picasso.ECONFLICT, err, "Schedule %s already exists", s.Name)
		}
		err = expectOneRow(res, err, errNoRowMatched)
		if errors.Is(err, errNoRowMatched) {
			return scheduleChangedOrGone(ctx, tx, s.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	s.UpdatedAt = stamp
	return nil
}

// scheduleChangedOrGone tells why an update matched no row.
func scheduleChangedOrGone(ctx context.Context, tx *sqlx.Tx, id string) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM schedules WHERE id = ?`, id); err != nil {
		return err
	}
	if n == 0 {
		return scheduleNotFound(id)
	}
	return picasso.Errorf(picasso.ECONFLICT, "Schedule %s was changed meanwhile; read it again and retry", id)
}

// DeleteSchedule removes the project's schedule with that ID.
func (d *DB) DeleteSchedule(ctx context.Context, projectID, id string) error {
	return d.write(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM schedules WHERE project_id = ? AND id = ?`, projectID, id)
		return expectOneRow(res, err, scheduleNotFound(id))
	})
}

// AdvanceSchedule moves the schedule past tick. The condition on
// next_run_at is the claim: replicas that read the same due row all try
// it, and the database lets exactly one UPDATE match. It does not advance
// the write generation: nothing caches schedules, and the scheduler's
// writes would otherwise flush every replica's route cache at each tick.
func (d *DB) AdvanceSchedule(ctx context.Context, id string, tick, next time.Time) (bool, error) {
	res, err := d.exec(ctx, `UPDATE schedules SET next_run_at = ?, last_run_at = ?, runs = runs + 1 `+
		`WHERE id = ? AND enabled = ? AND next_run_at = ?`, nullTime(next), nullTime(tick), id, true, nullTime(tick))
	if err != nil {
		return false, dbError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(err)
	}
	return n == 1, nil
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

var _ picasso.CallStore = (*DB)(nil)

// Calls never advance the generation counter: that counter tells replicas
// their cached routes went stale, and calls change no route.

const callSummaryColumns = `id, project_id, app_id, app_name, route_path, status, trigger_kind, attempt, max_attempts, ` +
	`timeout_us, idempotency_key, callback_url, request_id, request_method, request_query, created_at, not_before, ` +
	`started_at, finished_at, due_at, lease_owner, http_status, result_truncated, error, callback_status, ` +
	`callback_attempts, callback_error`

// callColumns adds the bulky columns a list leaves out.
const callColumns = callSummaryColumns + `, request_headers, request_body, result, log`

// callRow is a call as stored: times in Unix microseconds, headers as JSON.
type callRow struct {
	ID              string         `db:"id"`
	ProjectID       string         `db:"project_id"`
	AppID           string         `db:"app_id"`
	AppName         string         `db:"app_name"`
	RoutePath       string         `db:"route_path"`
	Status          string         `db:"status"`
	Trigger         string         `db:"trigger_kind"`
	Attempt         int            `db:"attempt"`
	MaxAttempts     int            `db:"max_attempts"`
	TimeoutUS       int64          `db:"timeout_us"`
	IdempotencyKey  sql.NullString `db:"idempotency_key"`
	CallbackURL     string         `db:"callback_url"`
	RequestID       string         `db:"request_id"`
	RequestMethod   string         `db:"request_method"`
	RequestQuery    string         `db:"request_query"`
	RequestHeaders  string         `db:"request_headers"`
	RequestBody     []byte         `db:"request_body"`
	CreatedAt       int64          `db:"created_at"`
	NotBefore       int64          `db:"not_before"`
	StartedAt       int64          `db:"started_at"`
	FinishedAt      int64          `db:"finished_at"`
	DueAt           sql.NullInt64  `db:"due_at"`
	LeaseOwner      string         `db:"lease_owner"`
	HTTPStatus      int            `db:"http_status"`
	Result          []byte         `db:"result"`
	ResultTruncated bool           `db:"result_truncated"`
	Log             []byte         `db:"log"`
	Error           string         `db:"error"`

	CallbackStatus   string `db:"callback_status"`
	CallbackAttempts int    `db:"callback_attempts"`
	CallbackError    string `db:"callback_error"`
}

func (r *callRow) toCall() (*picasso.CallRecord, error) {
	c := &picasso.CallRecord{
		ID:              r.ID,
		ProjectID:       r.ProjectID,
		AppID:           r.AppID,
		AppName:         r.AppName,
		RoutePath:       r.RoutePath,
		Status:          picasso.CallStatus(r.Status),
		Trigger:         picasso.CallTrigger(r.Trigger),
		Attempt:         r.Attempt,
		MaxAttempts:     r.MaxAttempts,
		Timeout:         time.Duration(r.TimeoutUS) * time.Microsecond,
		IdempotencyKey:  r.IdempotencyKey.String,
		CallbackURL:     r.CallbackURL,
		RequestID:       r.RequestID,
		Request:         picasso.CallRequest{Method: r.RequestMethod, RawQuery: r.RequestQuery, Body: r.RequestBody},
		CreatedAt:       fromMicros(r.CreatedAt),
		NotBefore:       fromMicros(r.NotBefore),
		StartedAt:       fromMicros(r.StartedAt),
		FinishedAt:      fromMicros(r.FinishedAt),
		HTTPStatus:      r.HTTPStatus,
		Result:          r.Result,
		ResultTruncated: r.ResultTruncated,
		Log:             r.Log,
		Error:           r.Error,
		LeaseOwner:      r.LeaseOwner,

		CallbackStatus:   picasso.CallbackStatus(r.CallbackStatus),
		CallbackAttempts: r.CallbackAttempts,
		CallbackError:    r.CallbackError,
	}
	if r.RequestHeaders != "" {
		var h map[string][]string
		if err := unmarshalJSON(r.RequestHeaders, &h); err != nil {
			return nil, err
		}
		c.Request.Header = http.Header(h)
	}
	return c, nil
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// newCallID returns 32 hex digits that sort by creation time (16 of
// nanoseconds) and are unguessable (16 random), so that a list ordered by
// id is ordered by age and a marker is just an id.
func newCallID(at time.Time) string {
	var random [8]byte
	rand.Read(random[:])
	return fmt.Sprintf("%016x", at.UnixNano()) + hex.EncodeToString(random[:])
}

func nullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// InsertCall commits rec as a queued call; see picasso.CallStore.
func (d *DB) InsertCall(ctx context.Context, rec *picasso.CallRecord, maxWaiting int) (*picasso.CallRecord, bool, error) {
	if rec.IdempotencyKey != "" {
		existing, err := d.callByKey(ctx, rec.ProjectID, rec.IdempotencyKey)
		if err == nil || !picasso.IsCode(err, picasso.ENOTFOUND) {
			return existing, false, err
		}
	}
	if maxWaiting > 0 {
		if err := d.checkWaiting(ctx, rec.ProjectID, maxWaiting); err != nil {
			return nil, false, err
		}
	}
	c := *rec
	stamp := d.now()
	c.ID = newCallID(stamp)
	c.Status, c.Attempt, c.CreatedAt, c.LeaseOwner = picasso.CallQueued, 0, stamp, ""
	if c.NotBefore.Before(stamp) {
		c.NotBefore = stamp
	}
	headers := ""
	if c.Request.Header != nil {
		headers = marshalJSON(map[string][]string(c.Request.Header))
	}
	body := c.Request.Body
	if body == nil {
		body = []byte{}
	}
	_, err := d.exec(ctx, `INSERT INTO calls (id, project_id, app_id, app_name, route_path, status, `+
		`trigger_kind, attempt, max_attempts, timeout_us, idempotency_key, callback_url, request_id, request_method, `+
		`request_query, request_headers, request_body, created_at, not_before, due_at, result, log) `+
		`VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ProjectID, c.AppID, c.AppName, c.RoutePath, c.Status, c.Trigger, c.MaxAttempts, c.Timeout.Microseconds(),
		nullIfEmpty(c.IdempotencyKey), c.CallbackURL, c.RequestID, c.Request.Method, c.Request.RawQuery, headers, body,
		micros(c.CreatedAt), micros(c.NotBefore), micros(c.NotBefore), []byte{}, []byte{})
	if classify(err) == failureDuplicate && c.IdempotencyKey != "" {
		// A concurrent enqueue with the same key won.
		existing, err := d.callByKey(ctx, c.ProjectID, c.IdempotencyKey)
		return existing, false, err
	}
	if err != nil {
		return nil, false, dbError(err)
	}
	return &c, true, nil
}

// RecordCall inserts rec, which already ran, as a final call.
func (d *DB) RecordCall(ctx context.Context, rec *picasso.CallRecord) error {
	stamp := d.now()
	rec.ID, rec.CreatedAt = newCallID(stamp), stamp
	if rec.NotBefore.IsZero() {
		rec.NotBefore = rec.StartedAt
	}
	headers := ""
	if rec.Request.Header != nil {
		headers = marshalJSON(map[string][]string(rec.Request.Header))
	}
	result := rec.Result
	if result == nil {
		result = []byte{}
	}
	_, err := d.exec(ctx, `INSERT INTO calls (id, project_id, app_id, app_name, route_path, status, `+
		`trigger_kind, attempt, max_attempts, timeout_us, callback_url, request_id, request_method, request_query, `+
		`request_headers, request_body, created_at, not_before, started_at, finished_at, due_at, http_status, result, `+
		`result_truncated, log, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)`,
		rec.ID, rec.ProjectID, rec.AppID, rec.AppName, rec.RoutePath, string(rec.Status), string(rec.Trigger), rec.Attempt,
		rec.MaxAttempts, rec.Timeout.Microseconds(), rec.RequestID, rec.Request.Method, rec.Request.RawQuery, headers,
		[]byte{}, micros(rec.CreatedAt), micros(rec.NotBefore), micros(rec.StartedAt), micros(rec.FinishedAt),
		rec.HTTPStatus, result, rec.ResultTruncated, []byte{}, truncate(rec.Error, 1024))
	return dbError(err)
}

func (d *DB) callByKey(ctx context.Context, projectID, key string) (*picasso.CallRecord, error) {
	return d.getCall(ctx, `project_id = ? AND idempotency_key = ?`, projectID, key)
}

// GetCall returns the project's call with the id.
func (d *DB) GetCall(ctx context.Context, projectID, id string) (*picasso.CallRecord, error) {
	return d.getCall(ctx, `project_id = ? AND id = ?`, projectID, id)
}

func (d *DB) getCall(ctx context.Context, where string, args ...any) (*picasso.CallRecord, error) {
	var row callRow
	err := d.db.GetContext(ctx, &row, `SELECT `+callColumns+` FROM calls WHERE `+where, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "Call not found")
	}
	if err != nil {
		return nil, dbError(err)
	}
	return row.toCall()
}

// ListCalls returns the project's calls newest first, without their
// payloads, results and logs (GetCall has them).
func (d *DB) ListCalls(ctx context.Context, projectID string, f picasso.CallFilter, page picasso.Page) ([]*picasso.CallRecord, error) {
	where := []string{"project_id = ?"}
	args := []any{projectID}
	add := func(clause string, arg any) {
		where = append(where, clause)
		args = append(args, arg)
	}
	if f.AppName != "" {
		add("app_name = ?", f.AppName)
	}
	if f.RoutePath != "" {
		add("route_path = ?", f.RoutePath)
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.Since.IsZero() {
		add("created_at >= ?", micros(f.Since))
	}
	if page.Marker != "" {
		add("id < ?", page.Marker)
	}
	var rows []callRow
	err := d.db.SelectContext(ctx, &rows, `SELECT `+callSummaryColumns+` FROM calls WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, pageLimit(page))...)
	if err != nil {
		return nil, dbError(err)
	}
	return toCalls(rows)
}

func toCalls(rows []callRow) ([]*picasso.CallRecord, error) {
	calls := make([]*picasso.CallRecord, len(rows))
	for i := range rows {
		var err error
		if calls[i], err = rows[i].toCall(); err != nil {
			return nil, err
		}
	}
	return calls, nil
}

// CancelCall cancels the project's call while it waits.
func (d *DB) CancelCall(ctx context.Context, projectID, id string) (*picasso.CallRecord, error) {
	res, err := d.exec(ctx, `UPDATE calls SET status = 'cancelled', due_at = NULL, finished_at = ? `+
		`WHERE project_id = ? AND id = ? AND status IN ('queued', 'failed')`, micros(d.now()), projectID, id)
	return d.afterTransition(ctx, projectID, id, res, err, "Only a queued call can be cancelled")
}

// RequeueCall puts the project's dead or failed call back on the queue
// with its attempts counted afresh.
func (d *DB) RequeueCall(ctx context.Context, projectID, id string) (*picasso.CallRecord, error) {
	stamp := micros(d.now())
	res, err := d.exec(ctx, `UPDATE calls SET status = 'queued', trigger_kind = 'retry', attempt = 0, `+
		`not_before = ?, due_at = ?, started_at = 0, finished_at = 0, lease_owner = '', http_status = 0, `+
		`result_truncated = FALSE, error = '', `+clearCallback+
		` WHERE project_id = ? AND id = ? AND status IN ('dead', 'failed')`,
		stamp, stamp, projectID, id)
	return d.afterTransition(ctx, projectID, id, res, err, "Only a dead or failed call can be retried")
}

// afterTransition returns the call a one-row state change touched, or
// tells a missing call (ENOTFOUND) from one in the wrong state (ECONFLICT).
func (d *DB) afterTransition(ctx context.Context, projectID, id string, res sql.Result, err error, conflict string) (*picasso.CallRecord, error) {
	if err != nil {
		return nil, dbError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, dbError(err)
	}
	call, err := d.GetCall(ctx, projectID, id)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, picasso.Errorf(picasso.ECONFLICT, "%s; this call is %s", conflict, call.Status)
	}
	return call, nil
}

// PurgeCalls deletes up to limit final calls created before cutoff, but
// none whose callback is still pending.
func (d *DB) PurgeCalls(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	var ids []string
	err := d.db.SelectContext(ctx, &ids, `SELECT id FROM calls WHERE status IN ('succeeded', 'dead', 'cancelled') `+
		`AND created_at < ? LIMIT ?`, micros(cutoff), limit)
	if err != nil || len(ids) == 0 {
		return 0, dbError(err)
	}
	query, args, err := sqlx.In(`DELETE FROM calls WHERE due_at IS NULL AND callback_due_at IS NULL AND id IN (?)`, ids)
	if err != nil {
		return 0, dbError(err)
	}
	res, err := d.exec(ctx, query, args...)
	if err != nil {
		return 0, dbError(err)
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err)
}

// QueueIdle reports whether no call waits or runs. Those are exactly the
// calls with a due_at, so this is one probe of the calls_due index however
// long the queue is, where CallStats counts every waiting call: a drain can
// be watched closely without loading the database it measures.
func (d *DB) QueueIdle(ctx context.Context) (bool, error) {
	busy, err := d.anyCall(ctx, `due_at IS NOT NULL`)
	return !busy, err
}

// CallStats counts the queue for metrics.
func (d *DB) CallStats(ctx context.Context) (picasso.CallStats, error) {
	var stats picasso.CallStats
	var counts []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	err := d.db.SelectContext(ctx, &counts, `SELECT status, COUNT(*) AS n FROM calls `+
		`WHERE status IN ('queued', 'failed', 'running', 'dead') GROUP BY status`)
	if err != nil {
		return stats, dbError(err)
	}
	for _, c := range counts {
		switch picasso.CallStatus(c.Status) {
		case picasso.CallQueued, picasso.CallFailed:
			stats.Queued += c.N
		case picasso.CallRunning:
			stats.Running = c.N
		case picasso.CallDead:
			stats.Dead = c.N
		}
	}
	var oldest sql.NullInt64
	err = d.db.GetContext(ctx, &oldest, `SELECT MIN(created_at) FROM calls WHERE status IN ('queued', 'failed')`)
	if err != nil {
		return stats, dbError(err)
	}
	stats.OldestQueued = fromMicros(oldest.Int64)
	err = d.db.GetContext(ctx, &stats.CallbacksPending, `SELECT COUNT(*) FROM calls WHERE callback_due_at IS NOT NULL`)
	return stats, dbError(err)
}

package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/picasso-faas/picasso"
)

var _ picasso.CallbackQueue = (*DB)(nil)

// callbackOnFinal is the part of a statement making calls final
// (succeeded or dead) that makes the callback of those with a callback URL
// pending, due at the statement's one argument: in the same statement, so
// that no final call is left without its callback, whatever happens to
// the replica after it.
const callbackOnFinal = `callback_status = CASE WHEN callback_url = '' THEN callback_status ELSE 'pending' END, ` +
	`callback_due_at = CASE WHEN callback_url = '' THEN callback_due_at ELSE ? END, ` +
	`callback_attempts = CASE WHEN callback_url = '' THEN callback_attempts ELSE 0 END, ` +
	`callback_error = CASE WHEN callback_url = '' THEN callback_error ELSE '' END`

// clearCallback forgets a call's callback, for a call that starts over.
const clearCallback = `callback_status = '', callback_due_at = NULL, callback_attempts = 0, callback_error = ''`

// pendCallback applies callbackOnFinal to a call in memory.
func pendCallback(c *picasso.CallRecord) {
	if c.CallbackURL != "" {
		c.CallbackStatus, c.CallbackAttempts, c.CallbackError = picasso.CallbackPending, 0, ""
	}
}

// callbackColumns are what a callback's delivery needs: the summary, with
// the result it posts but not the request.
const callbackColumns = callSummaryColumns + `, result`

// ClaimCallbacks leases due callbacks in one transaction, as ClaimCalls
// leases calls: FOR UPDATE SKIP LOCKED on MySQL and MariaDB, the write lock
// on SQLite.
func (d *DB) ClaimCallbacks(ctx context.Context, limit int, lease time.Duration) ([]*picasso.CallRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	// Polled by every replica: a plain read first spares the database a
	// transaction when nothing is due.
	var anyDue int
	err := d.db.GetContext(ctx, &anyDue, `SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE callback_due_at <= ? LIMIT 1) AS due`,
		micros(d.now()))
	if err != nil || anyDue == 0 {
		return nil, dbError(err)
	}
	var opts *sql.TxOptions
	if d.db.DriverName() == DriverMySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted} // no gap locks, as in ClaimCalls
	}
	var calls []*picasso.CallRecord
	err = d.retry.run(ctx, func() error {
		var err error
		calls, err = d.claimCallbacksOnce(ctx, opts, limit, lease)
		return err
	})
	return calls, dbError(err)
}

func (d *DB) claimCallbacksOnce(ctx context.Context, opts *sql.TxOptions, limit int, lease time.Duration) ([]*picasso.CallRecord, error) {
	tx, err := d.db.BeginTxx(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	stamp := micros(d.now())
	query := `SELECT ` + callbackColumns + ` FROM calls WHERE callback_due_at <= ? ORDER BY callback_due_at LIMIT ?`
	if d.db.DriverName() == DriverMySQL {
		query += ` FOR UPDATE SKIP LOCKED`
	}
	var due []callRow
	if err := tx.SelectContext(ctx, &due, query, stamp, limit); err != nil || len(due) == 0 {
		return nil, err
	}
	ids := make([]string, len(due))
	for i := range due {
		ids[i] = due[i].ID
	}
	if err := execIn(ctx, tx, `UPDATE calls SET callback_attempts = callback_attempts + 1, callback_due_at = ? `+
		`WHERE id IN (?)`, ids, stamp+lease.Microseconds()); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	calls, err := toCalls(due)
	for _, c := range calls {
		c.CallbackAttempts++
	}
	return calls, err
}

// FinishCallback records the outcome of the claimed attempt of call's
// callback, provided it is still the callback's latest.
func (d *DB) FinishCallback(ctx context.Context, call *picasso.CallRecord, o picasso.CallbackOutcome) error {
	var dueAt any
	if o.Status == picasso.CallbackPending {
		dueAt = micros(o.NotBefore)
	}
	res, err := d.exec(ctx, `UPDATE calls SET callback_status = ?, callback_due_at = ?, callback_error = ? `+
		`WHERE id = ? AND callback_status = 'pending' AND callback_attempts = ?`,
		string(o.Status), dueAt, truncate(o.Error, 1024), call.ID, call.CallbackAttempts)
	if err != nil {
		return dbError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return dbError(err)
	}
	if n == 0 {
		return picasso.Errorf(picasso.ECONFLICT, "Callback attempt %d of call %s is no longer the latest", call.CallbackAttempts, call.ID)
	}
	call.CallbackStatus, call.CallbackError = o.Status, truncate(o.Error, 1024)
	return nil
}

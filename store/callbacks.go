package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

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
// leases calls.
func (d *DB) ClaimCallbacks(ctx context.Context, limit int, lease time.Duration) ([]*picasso.CallRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return d.claimDue(ctx, "callback_due_at", func(tx *sqlx.Tx) ([]callRow, func(*picasso.CallRecord), error) {
		return d.claimCallbacks(ctx, tx, limit, lease)
	})
}

// claimCallbacks claims due callbacks in tx (a claimFunc); nothing when
// none is due.
func (d *DB) claimCallbacks(ctx context.Context, tx *sqlx.Tx, limit int, lease time.Duration) ([]callRow, func(*picasso.CallRecord), error) {
	stamp := micros(d.now())
	var due []callRow
	err := tx.SelectContext(ctx, &due, d.skipLocked(`SELECT `+callbackColumns+` FROM calls WHERE callback_due_at <= ? `+
		`ORDER BY callback_due_at LIMIT ?`), stamp, limit)
	if err != nil || len(due) == 0 {
		return nil, nil, err
	}
	ids := make([]string, len(due))
	for i := range due {
		ids[i] = due[i].ID
	}
	if err := execIn(ctx, tx, `UPDATE calls SET callback_attempts = callback_attempts + 1, callback_due_at = ? `+
		`WHERE id IN (?)`, ids, stamp+lease.Microseconds()); err != nil {
		return nil, nil, err
	}
	return due, func(c *picasso.CallRecord) { c.CallbackAttempts++ }, nil
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

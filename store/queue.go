package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

// errLeaseExpired is the error of a call whose last attempt's worker
// vanished: nobody knows whether it ran.
const errLeaseExpired = "The worker running the last attempt stopped answering before it finished (lease expired)"

// ClaimCalls leases due calls to owner in one transaction. On MySQL and
// MariaDB (10.6 or later) the rows are selected FOR UPDATE SKIP LOCKED, so
// replicas claiming at once take different calls without waiting for each
// other. SQLite transactions here begin IMMEDIATE (see the URI pragmas):
// claims are serialised by the database's write lock.
func (d *DB) ClaimCalls(ctx context.Context, owner string, limit int, margin time.Duration, skipProjects []string) ([]*picasso.CallRecord, error) {
	if limit <= 0 {
		return nil, nil
	}
	return d.claimDue(ctx, "due_at", func(tx *sqlx.Tx) ([]callRow, func(*picasso.CallRecord), error) {
		return d.claimCalls(ctx, tx, owner, limit, margin, skipProjects)
	})
}

// claimFunc claims due rows in tx: it returns the rows as read, and what
// its updates changed, to apply to each of them once committed.
type claimFunc func(tx *sqlx.Tx) (rows []callRow, claimed func(*picasso.CallRecord), err error)

// claimDue runs claim in a transaction of its own, again after a deadlock,
// and returns what it claimed once that is committed. The rows were read
// locked, so claim's updates are all that changed them: they are applied
// to what was read rather than read again. Every replica polls: a plain
// read first spares the database the transaction (and SQLite its write
// lock) when no row is due by dueColumn, a column of calls.
func (d *DB) claimDue(ctx context.Context, dueColumn string, claim claimFunc) ([]*picasso.CallRecord, error) {
	if due, err := d.anyCall(ctx, dueColumn+` <= ?`, micros(d.now())); err != nil || !due {
		return nil, err
	}
	var opts *sql.TxOptions
	if d.db.DriverName() == DriverMySQL {
		// READ COMMITTED takes no gap locks: under REPEATABLE READ the
		// locking read would lock the range of the due column it scanned,
		// and inserts into that range would wait for every claim, or
		// deadlock with it.
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	var rows []callRow
	var claimed func(*picasso.CallRecord)
	err := d.retry.run(ctx, func() error {
		rows = nil
		tx, err := d.db.BeginTxx(ctx, opts)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		read, applied, err := claim(tx)
		if err != nil || len(read) == 0 {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		rows, claimed = read, applied
		return nil
	})
	if err != nil || len(rows) == 0 {
		return nil, dbError(err)
	}
	calls, err := toCalls(rows)
	for _, c := range calls {
		claimed(c)
	}
	return calls, err
}

// anyCall reports whether a row of calls matches where, reading at most one.
func (d *DB) anyCall(ctx context.Context, where string, args ...any) (bool, error) {
	var n int
	err := d.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM (SELECT 1 FROM calls WHERE `+where+` LIMIT 1) AS hit`, args...)
	return n > 0, dbError(err)
}

// skipLocked ends a locking read: on MySQL and MariaDB (10.6 or later)
// replicas claiming at once take different rows without waiting for each
// other; SQLite has no row locks, and its claims are serialised by the
// write lock.
func (d *DB) skipLocked(query string) string {
	if d.db.DriverName() == DriverMySQL {
		return query + ` FOR UPDATE SKIP LOCKED`
	}
	return query
}

// claimCalls claims due calls in tx (a claimFunc); nothing when nothing is
// due.
func (d *DB) claimCalls(ctx context.Context, tx *sqlx.Tx, owner string, limit int, margin time.Duration,
	skipProjects []string) ([]callRow, func(*picasso.CallRecord), error) {
	at := d.now()
	stamp := micros(at)
	due, err := d.selectDue(ctx, tx, stamp, limit, skipProjects)
	if err != nil || len(due) == 0 {
		return nil, nil, err
	}
	var expired, claimed []string
	for _, c := range due {
		if picasso.CallStatus(c.Status) == picasso.CallRunning && c.Attempt >= c.MaxAttempts {
			expired = append(expired, c.ID)
		} else {
			claimed = append(claimed, c.ID)
		}
	}
	if err := execIn(ctx, tx, `UPDATE calls SET status = 'dead', due_at = NULL, finished_at = ?, lease_owner = '', `+
		`error = ?, `+callbackOnFinal+` WHERE id IN (?)`, expired, stamp, errLeaseExpired, stamp); err != nil {
		return nil, nil, err
	}
	if err := execIn(ctx, tx, `UPDATE calls SET status = 'running', attempt = attempt + 1, lease_owner = ?, `+
		`started_at = ?, finished_at = 0, due_at = ? + timeout_us WHERE id IN (?)`,
		claimed, owner, stamp, stamp+margin.Microseconds()); err != nil {
		return nil, nil, err
	}
	return due, func(c *picasso.CallRecord) {
		c.FinishedAt = at
		if c.Status == picasso.CallRunning && c.Attempt >= c.MaxAttempts {
			c.Status, c.LeaseOwner, c.Error = picasso.CallDead, "", errLeaseExpired
			pendCallback(c)
			return
		}
		c.Status, c.Attempt, c.LeaseOwner, c.StartedAt, c.FinishedAt = picasso.CallRunning, c.Attempt+1, owner, at, time.Time{}
	}, nil
}

func (d *DB) selectDue(ctx context.Context, tx *sqlx.Tx, stamp int64, limit int, skipProjects []string) ([]callRow, error) {
	query, args := `SELECT `+callColumns+` FROM calls WHERE due_at <= ?`, []any{stamp}
	if len(skipProjects) > 0 {
		q, a, err := sqlx.In(` AND project_id NOT IN (?)`, skipProjects)
		if err != nil {
			return nil, err
		}
		query, args = query+q, append(args, a...)
	}
	query += ` ORDER BY due_at LIMIT ?`
	args = append(args, limit)
	var due []callRow
	err := tx.SelectContext(ctx, &due, d.skipLocked(query), args...)
	return due, err
}

// execIn runs query, whose last placeholder is "IN (?)", with ids expanded
// there; no ids, no statement.
func execIn(ctx context.Context, tx *sqlx.Tx, query string, ids []string, args ...any) error {
	if len(ids) == 0 {
		return nil
	}
	q, a, err := sqlx.In(query, append(args, ids)...)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, q, a...)
	return err
}

// FinishCall records the outcome of call's running attempt, provided
// call.LeaseOwner still holds that attempt.
func (d *DB) FinishCall(ctx context.Context, call *picasso.CallRecord, o picasso.CallOutcome) error {
	stamp := d.now()
	var dueAt any
	if o.Status == picasso.CallFailed {
		dueAt = micros(o.NotBefore)
	}
	result, log := o.Result, o.Log
	if result == nil {
		result = []byte{}
	}
	if log == nil {
		log = []byte{}
	}
	// A finish can deadlock with a claim that changes the same secondary
	// indexes; exec runs the guarded update again.
	set := `status = ?, due_at = ?, not_before = ?, finished_at = ?, lease_owner = '', http_status = ?, ` +
		`result = ?, result_truncated = ?, log = ?, error = ?`
	args := []any{string(o.Status), dueAt, micros(o.NotBefore), micros(stamp), o.HTTPStatus, result, o.ResultTruncated,
		log, truncate(o.Error, 1024)}
	final := o.Status == picasso.CallSucceeded || o.Status == picasso.CallDead
	if final {
		set += `, ` + callbackOnFinal
		args = append(args, micros(stamp))
	}
	res, err := d.exec(ctx, `UPDATE calls SET `+set+` WHERE id = ? AND status = 'running' AND lease_owner = ? AND attempt = ?`,
		append(args, call.ID, call.LeaseOwner, call.Attempt)...)
	if err := leaseHeld(res, err, call); err != nil {
		return err
	}
	if final {
		pendCallback(call)
	}
	call.Status, call.FinishedAt, call.LeaseOwner = o.Status, stamp, ""
	if o.Status == picasso.CallFailed {
		call.NotBefore = o.NotBefore
	}
	call.HTTPStatus, call.Result, call.ResultTruncated, call.Log, call.Error =
		o.HTTPStatus, o.Result, o.ResultTruncated, o.Log, truncate(o.Error, 1024)
	return nil
}

// DeferCall hands call back to the queue, due at notBefore, as though the
// claim had not happened: the attempt it was given is taken back, so the
// call is queued again (or failed, waiting for the attempt it was claimed
// for, when an earlier attempt ran) and the lease is dropped. Only the
// lease holder may, as for FinishCall. A call that had run before keeps the
// deferred claim's start time until its next attempt: the claim overwrote
// the earlier one's.
func (d *DB) DeferCall(ctx context.Context, call *picasso.CallRecord, notBefore time.Time) error {
	// MySQL evaluates the assignments left to right, each seeing the ones
	// before it: attempt is changed last, so that every CASE reads the
	// claimed attempt, as SQLite's assignments all do.
	res, err := d.exec(ctx, `UPDATE calls SET `+
		`status = CASE WHEN attempt <= 1 THEN 'queued' ELSE 'failed' END, `+
		`started_at = CASE WHEN attempt <= 1 THEN 0 ELSE started_at END, `+
		`due_at = ?, not_before = ?, lease_owner = '', attempt = attempt - 1 `+
		`WHERE id = ? AND status = 'running' AND lease_owner = ? AND attempt = ?`,
		micros(notBefore), micros(notBefore), call.ID, call.LeaseOwner, call.Attempt)
	if err := leaseHeld(res, err, call); err != nil {
		return err
	}
	call.Attempt--
	call.Status, call.LeaseOwner, call.NotBefore = picasso.CallFailed, "", notBefore
	if call.Attempt == 0 {
		call.Status, call.StartedAt = picasso.CallQueued, time.Time{}
	}
	return nil
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// leaseHeld is the outcome of an update guarded by call's lease: ECONFLICT
// when it changed no row, because the lease is no longer call's.
func leaseHeld(res sql.Result, err error, call *picasso.CallRecord) error {
	var rows int64
	if err == nil {
		rows, err = res.RowsAffected()
	}
	if err != nil {
		return dbError(err)
	}
	if rows == 0 {
		return picasso.Errorf(picasso.ECONFLICT, "Call %s attempt %d is no longer held by %s", call.ID, call.Attempt, call.LeaseOwner)
	}
	return nil
}

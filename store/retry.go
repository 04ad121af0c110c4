package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// MySQL and MariaDB errors after which the whole transaction may simply
// run again: the server rolled it back (or the statement, for 1205) and
// says so. Galera reports a certification failure, a write set that lost
// against another node's, as 1213 too ("try restarting transaction"), and
// a commit it aborted as 1180.
const (
	mysqlRecordChanged = 1020 // MariaDB's snapshot isolation: "Record has changed since last read"
	mysqlCommitFailed  = 1180 // "Got error N during COMMIT", e.g. a Galera brute-force abort
)

// retryPolicy bounds how often and how long a transient failure is retried.
type retryPolicy struct {
	attempts int           // runs in all, the first included
	base     time.Duration // the first backoff's upper bound
	max      time.Duration // no backoff is longer
	// sleep waits d or until ctx ends; tests replace it to run without time.
	sleep func(ctx context.Context, d time.Duration) error
	// jitter picks a duration in [0, n); tests make it deterministic.
	jitter func(n time.Duration) time.Duration
}

// defaultRetry gives up after about 0.5 s in the worst case: a deadlock
// that persists that long is not transient, and the caller gets 503.
var defaultRetry = retryPolicy{
	attempts: 6,
	base:     5 * time.Millisecond,
	max:      160 * time.Millisecond,
	sleep:    sleepContext,
	jitter:   func(n time.Duration) time.Duration { return rand.N(n) },
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// run calls fn until it succeeds, fails with an error that is not
// transient, or the attempts are spent; between runs it sleeps with "full
// jitter" (a random time up to an exponentially growing bound), so that the
// transactions that collided do not collide again in lockstep. fn must be
// a whole transaction or a single autocommitted statement: only then is
// running it again safe.
func (p retryPolicy) run(ctx context.Context, fn func() error) error {
	bound := p.base
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || attempt >= p.attempts || !transient(err) {
			return err
		}
		if p.sleep(ctx, p.jitter(bound)+1) != nil {
			return err
		}
		bound = min(2*bound, p.max)
	}
}

// transient reports whether err is a conflict between concurrent
// transactions that the database resolved by aborting this one.
func transient(err error) bool {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case mysqlDeadlock, mysqlLockWaitTimeout, mysqlRecordChanged, mysqlCommitFailed:
			return true
		}
		return false
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

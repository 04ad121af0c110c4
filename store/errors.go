package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"

	"github.com/go-sql-driver/mysql"
	"github.com/picasso-faas/picasso"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// failure is what a driver error means to the store, whichever driver
// raised it.
type failure int

const (
	failureOther       failure = iota
	failureDuplicate           // a unique key already holds the value
	failureForeignKey          // a row references, or would reference, a missing or protected row
	failureUnavailable         // the database cannot be reached or is overloaded
)

// MySQL server error numbers the store tells apart.
const (
	mysqlDuplicateEntry    = 1062
	mysqlRowIsReferenced   = 1451 // deleting a parent that has children
	mysqlNoReferencedRow   = 1452 // inserting a child without a parent
	mysqlTooManyConns      = 1040
	mysqlLockWaitTimeout   = 1205
	mysqlDeadlock          = 1213
	mysqlServerShutdown    = 1053
	mysqlReadOnlyTxn       = 1792
	mysqlOptionPreventsRun = 1290 // e.g. --read-only on a demoted primary
)

func classify(err error) failure {
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case mysqlDuplicateEntry:
			return failureDuplicate
		case mysqlRowIsReferenced, mysqlNoReferencedRow:
			return failureForeignKey
		case mysqlTooManyConns, mysqlLockWaitTimeout, mysqlDeadlock, mysqlServerShutdown,
			mysqlReadOnlyTxn, mysqlOptionPreventsRun:
			return failureUnavailable
		}
		return failureOther
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return failureDuplicate
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return failureForeignKey
		}
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return failureUnavailable
		}
		return failureOther
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return failureUnavailable
	}
	return failureOther
}

// dbError turns a driver error that no method expected into an *Error:
// EUNAVAILABLE when the database is down or overloaded, EINTERNAL
// otherwise. The cause stays in Err for the logs.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	var e *picasso.Error
	if errors.As(err, &e) {
		return err
	}
	if classify(err) == failureUnavailable {
		return picasso.Wrap(picasso.EUNAVAILABLE, err, "Database unavailable")
	}
	return picasso.Wrap(picasso.EINTERNAL, err, "Database error")
}

func appNotFound(name string) error {
	return picasso.Errorf(picasso.ENOTFOUND, "App %s not found", name)
}

func routeNotFound(path string) error {
	return picasso.Errorf(picasso.ENOTFOUND, "Route %s not found", path)
}

// unavailable reports that the database could not be reached at all.
func unavailable(err error) error {
	return picasso.Wrap(picasso.EUNAVAILABLE, err, "Database unavailable")
}

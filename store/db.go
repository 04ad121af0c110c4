// Package store keeps Picasso's apps and routes in MySQL/MariaDB or SQLite
// through one implementation of picasso.Store. Both databases run the same
// queries: "?" placeholders, byte-wise text comparison, and a change feed
// that every write of an app or a route appends to in its own transaction.
package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"

	// The drivers ParseURI names.
	_ "github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite"
)

// Options tune Open; zero values select the defaults.
type Options struct {
	// AutoMigrate applies missing migrations on Open instead of refusing
	// to start on an old schema.
	AutoMigrate bool
	// MaxOpenConns bounds the pool (default 20).
	MaxOpenConns int
	// MaxIdleConns is how many connections stay open while idle (default
	// 10, at most MaxOpenConns).
	MaxIdleConns int
	// ConnMaxLifetime retires connections after this long (default 5
	// minutes), so that a failover or restart is never hidden behind a
	// long-lived connection to the old server.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle for this long (default 1 minute).
	ConnMaxIdleTime time.Duration
	// Clock stamps rows (CreatedAt, UpdatedAt); time.Now when nil. Tests
	// pass their own so that timestamps move without sleeping.
	Clock func() time.Time
	// PingTimeout bounds the first contact on Open (default 5 seconds).
	PingTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 20
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = 10
	}
	o.MaxIdleConns = min(o.MaxIdleConns, o.MaxOpenConns)
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 5 * time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = time.Minute
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = 5 * time.Second
	}
}

// DB is a picasso.Store over a database/sql pool.
type DB struct {
	db      *sqlx.DB
	clock   func() time.Time
	waiting waitingCounts
	// retry reruns writes that a concurrent transaction made fail.
	retry retryPolicy
	// lockSlots bounds the app locks held at once to half the pool: each
	// holds a connection while its operation needs another one to write,
	// and the pool must never be all lock holders waiting for a write.
	lockSlots chan struct{}
}

var _ picasso.Store = (*DB)(nil)

// Open connects to the database of uri (see ParseURI), checks that it
// answers and that its schema is current (or migrates it when
// opts.AutoMigrate is set). An invalid URI is EINVALID; an unreachable
// database is EUNAVAILABLE with the driver's reason kept in Err.
func Open(ctx context.Context, uri string, opts Options) (*DB, error) {
	driverName, dsn, err := ParseURI(uri)
	if err != nil {
		return nil, picasso.Errorf(picasso.EINVALID, "%s", err)
	}
	opts.setDefaults()
	db, err := openPool(driverName, dsn, opts)
	if err != nil {
		return nil, err
	}
	if err := ping(ctx, db.DB, opts.PingTimeout); err != nil {
		db.Close()
		return nil, err
	}
	var sqliteDB *sql.DB
	if driverName == DriverSQLite {
		sqliteDB = db.DB
	}
	if opts.AutoMigrate {
		err = runMigrator(ctx, driverName, dsn, sqliteDB, up)
	} else {
		err = checkSchema(ctx, driverName, dsn, sqliteDB)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	return &DB{db: db, clock: clock, retry: defaultRetry, lockSlots: make(chan struct{}, max(1, opts.MaxOpenConns/2))}, nil
}

// openPool makes the pool without connecting yet.
func openPool(driverName, dsn string, opts Options) (*sqlx.DB, error) {
	opts.setDefaults()
	db, err := sqlx.Open(driverName, dsn)
	if err != nil {
		return nil, picasso.Wrap(picasso.EINVALID, err, "cannot open the database")
	}
	if isSQLiteMemory(driverName, dsn) {
		// Every connection to ":memory:" is a database of its own: keep
		// exactly one, forever.
		opts.MaxOpenConns, opts.MaxIdleConns = 1, 1
		opts.ConnMaxLifetime, opts.ConnMaxIdleTime = 0, 0
	}
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxIdleConns)
	db.SetConnMaxLifetime(opts.ConnMaxLifetime)
	db.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	return db, nil
}

func isSQLiteMemory(driverName, dsn string) bool {
	return driverName == DriverSQLite && strings.HasPrefix(dsn, ":memory:")
}

func ping(ctx context.Context, db *sql.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Ping reports whether the database answers, EUNAVAILABLE if not.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return unavailable(err)
	}
	return nil
}

// Stats reports the state of the connection pool, for metrics.
func (d *DB) Stats() sql.DBStats { return d.db.Stats() }

// SQL is the underlying pool, for Prometheus' database collector.
func (d *DB) SQL() *sql.DB { return d.db.DB }

// Close closes every connection of the pool.
func (d *DB) Close() error { return d.db.Close() }

// write runs fn in a transaction. fn returns *picasso.Error values; anything else is mapped by dbError. A
// transaction that a deadlock, lock wait timeout or certification failure
// aborted runs again (see retryPolicy), so fn must not have effects
// outside the transaction.
func (d *DB) write(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return dbError(d.retry.run(ctx, func() error { return d.writeOnce(ctx, fn) }))
}

func (d *DB) writeOnce(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// exec runs one autocommitted write statement, again if a concurrent
// transaction made it fail.
func (d *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := d.retry.run(ctx, func() error {
		var err error
		res, err = d.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// now is the time the store stamps rows with: UTC, in the microseconds
// that both databases keep.
func (d *DB) now() time.Time {
	return d.clock().UTC().Truncate(time.Microsecond)
}

// pageLimit applies the default and the maximum of a page size.
func pageLimit(page picasso.Page) int {
	switch {
	case page.Limit <= 0:
		return picasso.DefaultPageSize
	case page.Limit > picasso.MaxPageSize:
		return picasso.MaxPageSize
	}
	return page.Limit
}

// expectOneRow turns "no row matched" into notFound.
func expectOneRow(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

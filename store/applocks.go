package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// LockApp holds the database lock of the app with that backend name until
// unlock is called: a row of app_locks selected FOR UPDATE in a
// transaction of its own, which writes nothing. A management operation
// holds it across its store writes, its backend calls and its
// compensations, so operations on one app take turns across replicas too.
// If the replica dies, its connection closes and the server releases the
// lock. On SQLite, which serves a single replica, it locks nothing.
//
// Waiting for the lock is bounded by ctx and the server's
// innodb_lock_wait_timeout; once taken, the lock outlives ctx's
// cancellation so that a client hanging up cannot release it in the
// middle of a compensation.
func (d *DB) LockApp(ctx context.Context, backendName string) (unlock func(), err error) {
	if d.db.DriverName() != DriverMySQL {
		return func() {}, nil
	}
	select {
	case d.lockSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, unavailable(ctx.Err())
	}
	var tx *sqlx.Tx
	err = d.retry.run(ctx, func() error {
		var err error
		tx, err = d.lockOnce(ctx, backendName)
		return err
	})
	if err != nil {
		<-d.lockSlots
		return nil, dbError(err)
	}
	return func() {
		tx.Rollback()
		<-d.lockSlots
	}, nil
}

func (d *DB) lockOnce(ctx context.Context, backendName string) (*sqlx.Tx, error) {
	// The row must exist before it can be locked; inserting it in its own
	// statement keeps the transaction below to a plain record lock, with
	// no insert-intention or gap locks to deadlock on.
	if _, err := d.db.ExecContext(ctx, `INSERT IGNORE INTO app_locks (backend_name) VALUES (?)`, backendName); err != nil {
		return nil, err
	}
	tx, err := d.db.BeginTxx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return nil, err
	}
	var locked string
	if err := tx.GetContext(ctx, &locked, `SELECT backend_name FROM app_locks WHERE backend_name = ? FOR UPDATE`,
		backendName); err != nil {
		tx.Rollback()
		return nil, err
	}
	return tx, nil
}

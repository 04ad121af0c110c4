package store

import (
	"context"
	"time"
)

// Beat records that the replica id is alive for ttl more.
func (d *DB) Beat(ctx context.Context, id string, ttl time.Duration) error {
	stamp := d.now()
	res, err := d.exec(ctx, `UPDATE replicas SET expires_at = ? WHERE id = ?`, micros(stamp.Add(ttl)), id)
	if err != nil {
		return dbError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return dbError(err)
	}
	_, err = d.exec(ctx, `INSERT INTO replicas (id, started_at, expires_at) VALUES (?, ?, ?)`,
		id, micros(stamp), micros(stamp.Add(ttl)))
	if classify(err) == failureDuplicate {
		return nil // a beat of the same replica raced this one
	}
	return dbError(err)
}

// LiveReplicas counts the replicas whose last beat has not expired.
func (d *DB) LiveReplicas(ctx context.Context) (int, error) {
	var n int
	err := d.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM replicas WHERE expires_at > ?`, micros(d.now()))
	return n, dbError(err)
}

// Leave removes the replica's row, so that it stops counting at once.
func (d *DB) Leave(ctx context.Context, id string) error {
	_, err := d.exec(ctx, `DELETE FROM replicas WHERE id = ?`, id)
	return dbError(err)
}

// PruneReplicas deletes the rows of replicas that stopped beating.
func (d *DB) PruneReplicas(ctx context.Context) (int, error) {
	res, err := d.exec(ctx, `DELETE FROM replicas WHERE expires_at <= ?`, micros(d.now()))
	if err != nil {
		return 0, dbError(err)
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err)
}

package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

// recordChange appends to the change feed that the write in tx changed
// the app with that backend name (path "") or its route at path. Writes
// call it as their last statement: an id is taken at insert and becomes
// visible at commit, and the shorter that interval, the sooner readers
// can be sure no smaller id is still to come (see picasso.ChangeFeed).
func (d *DB) recordChange(ctx context.Context, tx *sqlx.Tx, backendName, path string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (backend_name, path, created_at) VALUES (?, ?, ?)`,
		backendName, path, micros(d.now()))
	return err
}

// recordAppChange is recordChange for the app of that id.
func (d *DB) recordAppChange(ctx context.Context, tx *sqlx.Tx, appID, path string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO changes (backend_name, path, created_at) `+
		`SELECT backend_name, ?, ? FROM apps WHERE id = ?`, path, micros(d.now()), appID)
	return err
}

// Changes returns up to limit changes with an id above after, and those of
// the ids in also (gaps a reader still waits for), by id.
func (d *DB) Changes(ctx context.Context, after int64, also []int64, limit int) ([]picasso.Change, error) {
	query, args := `SELECT id, backend_name, path FROM changes WHERE id > ?`, []any{after}
	if len(also) > 0 {
		q, a, err := sqlx.In(` OR id IN (?)`, also)
		if err != nil {
			return nil, dbError(err)
		}
		query, args = query+q, append(args, a...)
	}
	var changes []picasso.Change
	err := d.db.SelectContext(ctx, &changes, query+` ORDER BY id LIMIT ?`, append(args, limit)...)
	return changes, dbError(err)
}

// LastChange returns the largest id of the change feed, 0 when it is empty.
func (d *DB) LastChange(ctx context.Context) (int64, error) {
	var id int64
	err := d.db.GetContext(ctx, &id, `SELECT COALESCE(MAX(id), 0) FROM changes`)
	return id, dbError(err)
}

// PruneChanges deletes up to limit changes recorded before cutoff, but
// never the newest one, so that ids keep growing on SQLite too (where a
// new id is the largest plus one).
func (d *DB) PruneChanges(ctx context.Context, cutoff time.Time, limit int) (int, error) {
	last, err := d.LastChange(ctx)
	if err != nil {
		return 0, err
	}
	res, err := d.exec(ctx, `DELETE FROM changes WHERE id IN (SELECT id FROM (SELECT id FROM changes `+
		`WHERE created_at < ? AND id < ? LIMIT ?) AS expired)`, micros(cutoff), last, limit)
	if err != nil {
		return 0, dbError(err)
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err)
}

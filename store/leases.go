package store

import (
	"context"
	"time"

	"github.com/picasso-faas/picasso"
)

var _ picasso.Leases = (*DB)(nil)

// TryLease takes the named lease for owner when it is free or expired, or
// renews it when owner holds it already.
func (d *DB) TryLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	stamp := d.now()
	expires := micros(stamp.Add(ttl))
	res, err := d.exec(ctx, `UPDATE leases SET owner = ?, expires_at = ? `+
		`WHERE name = ? AND (owner = ? OR expires_at < ?)`, owner, expires, name, owner, micros(stamp))
	if err != nil {
		return false, dbError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n > 0, dbError(err)
	}
	_, err = d.exec(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)`, name, owner, expires)
	switch {
	case err == nil:
		return true, nil
	case classify(err) == failureDuplicate:
		return false, nil // another owner holds it
	}
	return false, dbError(err)
}

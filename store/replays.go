package store

import (
	"context"
	"time"

	"github.com/picasso-faas/picasso"
)

// RememberSignature records key (a signed webhook call's signature) until
// expires; ECONFLICT when a live record of it exists already, i.e. the call
// is a replay, whichever replica accepted the first one. An expired record
// of the same key is taken over.
func (d *DB) RememberSignature(ctx context.Context, key string, expires time.Time) error {
	_, err := d.exec(ctx, `INSERT INTO webhook_replays (replay_key, expires_at) VALUES (?, ?)`, key, micros(expires))
	if classify(err) != failureDuplicate {
		return dbError(err)
	}
	res, err := d.exec(ctx, `UPDATE webhook_replays SET expires_at = ? WHERE replay_key = ? AND expires_at <= ?`,
		micros(expires), key, micros(d.now()))
	return dbError(expectOneRow(res, err, picasso.Errorf(picasso.ECONFLICT, "Webhook request was already received")))
}

// PurgeSignatures deletes up to limit records that expired before now.
// Neither database takes LIMIT in a DELETE or an IN subquery everywhere,
// but both take it in a derived table.
func (d *DB) PurgeSignatures(ctx context.Context, limit int) (int, error) {
	res, err := d.exec(ctx, `DELETE FROM webhook_replays WHERE replay_key IN (SELECT replay_key FROM `+
		`(SELECT replay_key FROM webhook_replays WHERE expires_at < ? LIMIT ?) AS expired)`, micros(d.now()), limit)
	if err != nil {
		return 0, dbError(err)
	}
	n, err := res.RowsAffected()
	return int(n), dbError(err)
}

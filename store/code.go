package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/picasso-faas/picasso"
)

var _ picasso.CodeStore = (*DB)(nil)

// codeChunkSize bounds one stored chunk of an upload: a statement must fit
// in MariaDB's default max_allowed_packet (16 MiB).
const codeChunkSize = 4 << 20

const codeVersionColumns = `app_id, path, version, sha256, size, format, file_name, created_at`

// PutCode stores data once per digest, records it as the route's next
// version, drops the route's older versions and releases the bytes that
// nothing references any more, all in one transaction. The transaction
// first holds projectID's quota lock and refuses (EQUOTA) an upload that
// would take the project's code beyond limit bytes.
func (d *DB) PutCode(ctx context.Context, projectID string, v *picasso.CodeVersion, data []byte, limit int64) error {
	if err := d.ensureQuotaLock(ctx, projectID); err != nil {
		return err
	}
	stamp := d.now()
	err := d.write(ctx, func(tx *sqlx.Tx) error {
		if err := d.withinCodeQuota(ctx, tx, projectID, v, limit); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE routes SET code_version = code_version + 1, updated_at = ? WHERE app_id = ? AND path = ?`,
			stamp, v.AppID, v.Path)
		if err := expectOneRow(res, err, routeNotFound(v.Path)); err != nil {
			return err
		}
		var version int64
		if err := tx.GetContext(ctx, &version, `SELECT code_version FROM routes WHERE app_id = ? AND path = ?`, v.AppID, v.Path); err != nil {
			return err
		}
		if err := storeBlob(ctx, tx, v.SHA256, data, stamp); err != nil {
			return err
		}
		var old []string
		if err := tx.SelectContext(ctx, &old, `SELECT sha256 FROM code_versions WHERE app_id = ? AND path = ?`, v.AppID, v.Path); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM code_versions WHERE app_id = ? AND path = ?`, v.AppID, v.Path); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO code_versions (`+codeVersionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			v.AppID, v.Path, version, v.SHA256, v.Size, v.Format, v.FileName, stamp); err != nil {
			return err
		}
		v.Version = version
		if err := releaseBlobs(ctx, tx, old); err != nil {
			return err
		}
		// Other replicas' cached route must learn the new version.
		return d.recordAppChange(ctx, tx, v.AppID, v.Path)
	})
	if err != nil {
		return err
	}
	v.CreatedAt = stamp
	return nil
}

// storeBlob inserts the bytes of digest unless they are stored already.
func storeBlob(ctx context.Context, tx *sqlx.Tx, digest string, data []byte, stamp any) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM code_blobs WHERE sha256 = ?`, digest); err != nil || n > 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO code_blobs (sha256, size, created_at) VALUES (?, ?, ?)`, digest, len(data), stamp); err != nil {
		return err
	}
	for seq, off := 0, 0; off < len(data) || seq == 0; seq, off = seq+1, off+codeChunkSize {
		chunk := data[off:min(off+codeChunkSize, len(data))]
		if _, err := tx.ExecContext(ctx, `INSERT INTO code_chunks (sha256, seq, data) VALUES (?, ?, ?)`, digest, seq, chunk); err != nil {
			return err
		}
	}
	return nil
}

// releaseBlobs deletes those of the digests that no version references.
func releaseBlobs(ctx context.Context, tx *sqlx.Tx, digests []string) error {
	for _, digest := range digests {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM code_versions WHERE sha256 = ?`, digest); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM code_chunks WHERE sha256 = ?`, digest); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM code_blobs WHERE sha256 = ?`, digest); err != nil {
			return err
		}
	}
	return nil
}

// deleteRouteCode drops the route's versions and the bytes only they held,
// inside the transaction that deletes the route.
func deleteRouteCode(ctx context.Context, tx *sqlx.Tx, appID, path string) error {
	var digests []string
	if err := tx.SelectContext(ctx, &digests, `SELECT sha256 FROM code_versions WHERE app_id = ? AND path = ?`, appID, path); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM code_versions WHERE app_id = ? AND path = ?`, appID, path); err != nil {
		return err
	}
	return releaseBlobs(ctx, tx, digests)
}

var errNoCode = picasso.Errorf(picasso.ENOTFOUND, "Route has no code: upload it with PUT .../code")

// GetCode returns the version the route runs.
func (d *DB) GetCode(ctx context.Context, appID, path string) (*picasso.CodeVersion, error) {
	var v picasso.CodeVersion
	err := d.db.GetContext(ctx, &v, `SELECT `+prefixed("v.", codeVersionColumns)+` FROM code_versions v `+
		`JOIN routes r ON r.app_id = v.app_id AND r.path = v.path AND r.code_version = v.version WHERE v.app_id = ? AND v.path = ?`,
		appID, path)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoCode
	}
	if err != nil {
		return nil, dbError(err)
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// GetCodeVersion returns one version of the route's code.
func (d *DB) GetCodeVersion(ctx context.Context, appID, path string, version int64) (*picasso.CodeVersion, error) {
	var v picasso.CodeVersion
	err := d.db.GetContext(ctx, &v, `SELECT `+codeVersionColumns+` FROM code_versions WHERE app_id = ? AND path = ? AND version = ?`,
		appID, path, version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "Code version %d of route %s not found", version, path)
	}
	if err != nil {
		return nil, dbError(err)
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return &v, nil
}

// ReadCode returns the stored bytes of digest.
func (d *DB) ReadCode(ctx context.Context, digest string) ([]byte, error) {
	var size int64
	err := d.db.GetContext(ctx, &size, `SELECT size FROM code_blobs WHERE sha256 = ?`, digest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, picasso.Errorf(picasso.ENOTFOUND, "Code %s not found", digest)
	}
	if err != nil {
		return nil, dbError(err)
	}
	var chunks [][]byte
	if err := d.db.SelectContext(ctx, &chunks, `SELECT data FROM code_chunks WHERE sha256 = ? ORDER BY seq`, digest); err != nil {
		return nil, dbError(err)
	}
	data := bytes.Join(chunks, nil)
	if int64(len(data)) != size {
		return nil, picasso.Errorf(picasso.EUNAVAILABLE, "Stored code %s is incomplete", digest)
	}
	return data, nil
}

// prefixed qualifies each column of a list with a table alias.
func prefixed(alias, columns string) string {
	var b bytes.Buffer
	for i, c := range bytes.Split([]byte(columns), []byte(", ")) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.Write(c)
	}
	return b.String()
}

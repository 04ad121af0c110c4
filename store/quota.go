package store

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/picasso-faas/picasso"
)

// Count queries of the count resources the store keeps, by project.
const (
	countApps      = `SELECT COUNT(*) FROM apps WHERE project_id = ?`
	countRoutes    = `SELECT COUNT(*) FROM routes JOIN apps ON apps.id = routes.app_id WHERE apps.project_id = ?`
	countTriggers  = `SELECT COUNT(*) FROM triggers WHERE project_id = ?`
	countSchedules = `SELECT COUNT(*) FROM schedules WHERE project_id = ?`
	// Every route keeps only the version it runs, so this is the size of
	// the packages the project's routes run. Bytes that several routes
	// share (the store keeps identical uploads once) count once per route:
	// what a project is charged must not depend on what others uploaded.
	countCodeBytes = `SELECT COALESCE(SUM(code_versions.size), 0) FROM code_versions ` +
		`JOIN apps ON apps.id = code_versions.app_id WHERE apps.project_id = ?`
)

// CreateAppWithin inserts app unless the project already has limit apps
// (EQUOTA). The count and the insert share one transaction that holds the
// project's quota lock.
func (d *DB) CreateAppWithin(ctx context.Context, app *picasso.App, limit int64) error {
	if err := d.ensureQuotaLock(ctx, app.ProjectID); err != nil {
		return err
	}
	return d.createApp(ctx, app, func(tx *sqlx.Tx) error {
		return d.withinQuota(ctx, tx, app.ProjectID, picasso.ResourceApps, countApps, limit)
	})
}

// CreateRouteWithin inserts route unless projectID, the owner of its
// app, already has limit routes over all its apps (EQUOTA).
func (d *DB) CreateRouteWithin(ctx context.Context, projectID string, route *picasso.Route, limit int64) error {
	if err := d.ensureQuotaLock(ctx, projectID); err != nil {
		return err
	}
	return d.createRoute(ctx, route, func(tx *sqlx.Tx) error {
		return d.withinQuota(ctx, tx, projectID, picasso.ResourceRoutes, countRoutes, limit)
	})
}

// Usage counts the project's apps, routes, triggers and schedules, and
// the bytes of its stored code.
func (d *DB) Usage(ctx context.Context, projectID string) (map[picasso.Resource]int64, error) {
	usage := map[picasso.Resource]int64{}
	for resource, query := range map[picasso.Resource]string{
		picasso.ResourceApps:      countApps,
		picasso.ResourceRoutes:    countRoutes,
		picasso.ResourceTriggers:  countTriggers,
		picasso.ResourceSchedules: countSchedules,
		picasso.ResourceCodeBytes: countCodeBytes,
	} {
		var n int64
		if err := d.db.GetContext(ctx, &n, query, projectID); err != nil {
			return nil, dbError(err)
		}
		usage[resource] = n
	}
	return usage, nil
}

// withinQuota locks the project's quota row, then counts with countQuery
// and refuses when one more would go beyond limit. It must come first in
// its transaction: on MySQL the locking UPDATE waits until every other
// holder of the row has committed, and the count's snapshot, taken after
// it, then sees their rows. (SQLite runs one write transaction at a time
// anyway.) Other count resources (triggers, schedules, ...) use it the
// same way, with their own count query.
func (d *DB) withinQuota(ctx context.Context, tx *sqlx.Tx, projectID string, resource picasso.Resource,
	countQuery string, limit int64) error {
	if limit == picasso.Unlimited {
		return nil
	}
	if err := lockQuota(ctx, tx, projectID); err != nil {
		return err
	}
	var used int64
	if err := tx.GetContext(ctx, &used, countQuery, projectID); err != nil {
		return err
	}
	return picasso.CheckQuota(resource, limit, used, 1)
}

// withinCodeQuota is withinQuota for an upload of v: codeRoom, counted
// under the project's quota lock.
func (d *DB) withinCodeQuota(ctx context.Context, tx *sqlx.Tx, projectID string, v *picasso.CodeVersion, limit int64) error {
	if limit == picasso.Unlimited {
		return nil
	}
	if err := lockQuota(ctx, tx, projectID); err != nil {
		return err
	}
	return codeRoom(ctx, tx, projectID, v, limit)
}

// CodeRoom refuses (EQUOTA) an upload of v that would take projectID's
// code beyond limit bytes, without the quota lock: a check before the
// upload is unpacked, which PutCode makes again under the lock.
func (d *DB) CodeRoom(ctx context.Context, projectID string, v *picasso.CodeVersion, limit int64) error {
	if limit == picasso.Unlimited {
		return nil
	}
	return codeRoom(ctx, d.db, projectID, v, limit)
}

// codeRoom counts an upload of v, which replaces the package the route
// runs: the upload requests what it adds to the project's code, its size
// less the replaced package's. An upload that adds nothing passes even
// beyond the limit (a lowered limit must not stop a project from
// shrinking its code).
func codeRoom(ctx context.Context, q sqlx.QueryerContext, projectID string, v *picasso.CodeVersion, limit int64) error {
	var used, replaced int64
	if err := sqlx.GetContext(ctx, q, &used, countCodeBytes, projectID); err != nil {
		return err
	}
	if err := sqlx.GetContext(ctx, q, &replaced, `SELECT COALESCE(SUM(size), 0) FROM code_versions WHERE app_id = ? AND path = ?`,
		v.AppID, v.Path); err != nil {
		return err
	}
	if added := v.Size - replaced; added > 0 {
		return picasso.CheckQuota(picasso.ResourceCodeBytes, limit, used, added)
	}
	return nil
}

// lockQuota takes the project's quota row for the rest of the
// transaction (see withinQuota for why it must come first).
func lockQuota(ctx context.Context, tx *sqlx.Tx, projectID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE quota_locks SET project_id = project_id WHERE project_id = ?`, projectID)
	return err
}

// ensureQuotaLock creates the project's quota row unless it exists. It
// runs in a transaction of its own, before the one that locks the row:
// inserting the row in the same transaction would let two first creates
// of a project race on the insert instead of queueing on the lock.
func (d *DB) ensureQuotaLock(ctx context.Context, projectID string) error {
	_, err := d.exec(ctx, `INSERT INTO quota_locks (project_id) VALUES (?)`, projectID)
	if classify(err) == failureDuplicate {
		return nil
	}
	return dbError(err)
}

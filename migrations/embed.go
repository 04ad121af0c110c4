// Package migrations holds the SQL that creates and upgrades Picasso's
// schema, one numbered up/down pair per change in the golang-migrate file
// layout, for each database the store supports.
package migrations

import "embed"

// MySQL holds the MySQL/MariaDB migrations under the directory "mysql".
//
//go:embed mysql/*.sql
var MySQL embed.FS

// SQLite holds the SQLite migrations under the directory "sqlite".
//
//go:embed sqlite/*.sql
var SQLite embed.FS

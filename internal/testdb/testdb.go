// Package testdb gives tests a database of their own: a SQLite file in a
// temporary directory, or a uniquely named database on the real MariaDB
// (dropped when the test ends).
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// SQLiteURI returns the URI of a fresh SQLite database file.
func SQLiteURI(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "picasso.db")
}

// MySQLURI creates a database with a unique name on the test MariaDB and
// returns its Picasso URI; the database is dropped when the test ends.
func MySQLURI(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN())
	if err != nil {
		t.Fatalf("PICASSO_TEST_MYSQL: %v", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	if err := admin.Ping(); err != nil {
		testenv.Unavailable(t, "MariaDB at %s: %v", cfg.Addr, err)
	}
	name := "picasso_test_" + randomHex(8)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS " + name) })
	user := cfg.User
	if cfg.Passwd != "" {
		user += ":" + cfg.Passwd
	}
	return "mysql://" + user + "@" + cfg.Addr + "/" + name
}

// Each runs f once per database kind, as subtests named sqlite and mysql.
func Each(t *testing.T, f func(t *testing.T, uri string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLiteURI(t)) })
	t.Run("mysql", func(t *testing.T) { f(t, MySQLURI(t)) })
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}

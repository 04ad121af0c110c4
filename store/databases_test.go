package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// testDatabase makes an empty database for one test and returns its URI.
type testDatabase struct {
	name   string
	newURI func(t testing.TB) string
}

// databases are what every test of the suite runs against.
var databases = []testDatabase{
	{name: "sqlite", newURI: sqliteURI},
	{name: "mysql", newURI: mysqlURI},
}

// forEachDatabase runs fn once per database kind, each time on a new,
// empty database.
func forEachDatabase(t *testing.T, fn func(t *testing.T, uri string)) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			fn(t, db.newURI(t))
		})
	}
}

func sqliteURI(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "picasso.db")
}

// mysqlURI creates a database of its own on the test MariaDB server and
// drops it when the test ends.
func mysqlURI(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN())
	if err != nil {
		t.Fatalf("bad test DSN: %v", err)
	}
	cfg.Timeout = 2 * time.Second
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		testenv.Unavailable(t, "MariaDB at %s: %v", cfg.Addr, err)
	}

	suffix := make([]byte, 8)
	rand.Read(suffix)
	name := "picasso_test_" + hex.EncodeToString(suffix)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})

	user := url.User(cfg.User)
	if cfg.Passwd != "" {
		user = url.UserPassword(cfg.User, cfg.Passwd)
	}
	return (&url.URL{Scheme: "mysql", User: user, Host: cfg.Addr, Path: "/" + name}).String()
}

// openStore opens a migrated store on uri, closed when the test ends.
func openStore(t *testing.T, uri string) *DB {
	t.Helper()
	db, err := Open(context.Background(), uri, Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

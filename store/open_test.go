package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testenv"
)

func TestOpenUnreachableMySQL(t *testing.T) {
	addr := testenv.RefusedAddr(t)
	start := time.Now()
	_, err := Open(context.Background(), "mysql://picasso:Hunter2Secret@"+addr+"/picasso", Options{})
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("Open took %v to give up", elapsed)
	}
	wantError(t, err, picasso.EUNAVAILABLE, "Database unavailable")
	msg := err.Error()
	if !strings.Contains(msg, "connection refused") || strings.Contains(msg, "Hunter2Secret") || strings.Contains(msg, "\n") {
		t.Errorf("error %q should be one line naming the cause without the password", msg)
	}
}

func TestOpenInvalidURI(t *testing.T) {
	_, err := Open(context.Background(), "postgres://u:p@h/db", Options{})
	wantError(t, err, picasso.EINVALID, `unknown scheme "postgres": expected mysql or sqlite`)
}

func TestOpenSQLiteInMissingDirectory(t *testing.T) {
	uri := "sqlite://" + filepath.Join(t.TempDir(), "no", "such", "dir", "picasso.db")
	_, err := Open(context.Background(), uri, Options{AutoMigrate: true})
	wantError(t, err, picasso.EUNAVAILABLE, "Database unavailable")
}

func TestOpenSQLiteInMemory(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite::memory:", Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app := mustCreateApp(t, s, testApp(projectA, "mem"))
	mustCreateRoute(t, s, testRoute(app.ID, "/r"))
	wantError(t, s.DeleteApp(ctx, app.ID), picasso.ECONFLICT, "App mem has routes; delete them first")
	if got := s.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("in-memory pool allows %d connections, want 1", got)
	}
}

// Every pooled SQLite connection enforces foreign keys, not only the
// first one.
func TestSQLiteForeignKeysOnEveryConnection(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, sqliteURI(t))
	const conns = 4
	held := make([]*sql.Conn, conns)
	for i := range held {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held[i] = c
	}
	for i, c := range held {
		var on int
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
			t.Errorf("connection %d: foreign_keys = %d, %v", i, on, err)
		}
		c.Close()
	}
}

// The pool recovers by itself when the server drops its connections, as
// it does when MariaDB restarts.
func TestMySQLRecoversFromDroppedConnections(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, mysqlURI(t))
	mustCreateApp(t, s, testApp(projectA, "before"))

	admin, err := sql.Open("mysql", testenv.MySQLDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var database string
	if err := s.db.GetContext(ctx, &database, "SELECT DATABASE()"); err != nil {
		t.Fatal(err)
	}
	rows, err := admin.QueryContext(ctx, `SELECT id FROM information_schema.processlist WHERE db = ?`, database)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) == 0 {
		t.Fatal("the store holds no connection to drop")
	}
	for _, id := range ids {
		// KILL takes no placeholders; id is a number the server gave.
		if _, err := admin.ExecContext(ctx, fmt.Sprintf("KILL %d", id)); err != nil {
			t.Fatalf("KILL %d: %v", id, err)
		}
	}

	if _, err := s.GetApp(ctx, projectA, "before"); err != nil {
		t.Fatalf("read after the connections died: %v", err)
	}
	mustCreateApp(t, s, testApp(projectA, "after"))
}

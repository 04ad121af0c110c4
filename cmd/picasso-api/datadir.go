package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/picasso-faas/picasso/store"
)

// checkSQLiteWritable fails with the directory, the user and the missing
// permission when an SQLite database could not be created or written
// there; SQLite itself only says "unable to open database file (14)".
// SQLite writes its journal next to the file, so the directory must be
// writable, not only the file.
func checkSQLiteWritable(uri string) error {
	path, ok := sqlitePath(uri)
	if !ok {
		return nil
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("data directory of %s: %w", path, err)
	}
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("data directory %s does not exist: create it, writable by %s, or set --db-uri", dir, processUser())
	case err != nil:
		return fmt.Errorf("data directory %s: %w (running as %s)", dir, err, processUser())
	case !info.IsDir():
		return fmt.Errorf("data directory %s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".picasso-write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable by %s (mode %s, owner %s): %w; make it writable, e.g. chown %s %s",
			dir, processUser(), info.Mode().Perm(), fileOwner(info), unwrapPathError(err), processIDs(), dir)
	}
	probe.Close()
	os.Remove(probe.Name())
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("database file %s is not writable by %s: %w", filepath.Join(dir, filepath.Base(path)), processUser(), unwrapPathError(err))
	}
	return nil
}

// sqlitePath is the file of an SQLite URI; false for MySQL and memory.
func sqlitePath(uri string) (string, bool) {
	driver, dsn, err := store.ParseURI(uri)
	if err != nil || driver != store.DriverSQLite || strings.HasPrefix(dsn, ":memory:") {
		return "", false
	}
	path, _, _ := strings.Cut(dsn, "?")
	return path, true
}

func processIDs() string { return fmt.Sprintf("%d:%d", os.Geteuid(), os.Getegid()) }

func processUser() string { return "uid:gid " + processIDs() }

// unwrapPathError keeps the reason ("permission denied") of an error
// whose path the message already names.
func unwrapPathError(err error) error {
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	return err
}

// fileOwner is the numeric owner of a file, as chown takes it.
func fileOwner(info fs.FileInfo) string {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
	}
	return "unknown"
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// The pieces the container image relies on: --dev-listen, the
// healthcheck command, the data directory's start error and the log's
// durations.

func TestDevListenServesEveryAddressWithALoudWarning(t *testing.T) {
	// The image sets PICASSO_HOST=0.0.0.0, which alone refuses noauth.
	env := map[string]string{"PICASSO_HOST": "0.0.0.0"}
	var out bytes.Buffer
	err := run(context.Background(), []string{"picasso-api"}, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--dev-listen 0.0.0.0") {
		t.Fatalf("noauth on 0.0.0.0 without --dev-listen: %v; want a refusal naming --dev-listen", err)
	}

	args := devArgs(t)[1:] // without --dev: --dev-listen implies it
	s := start(t, env, append([]string{"--dev-listen", "0.0.0.0"}, args...)...)
	if status, _, body := s.request(t, "GET", "/readyz", ""); status != 200 {
		t.Fatalf("readyz: %d %s", status, body)
	}
	if logs := s.stdout.await("ANYONE WHO CAN REACH"); !strings.Contains(logs, "ANYONE WHO CAN REACH") || !strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("no loud warning that anyone reaching it is admin:\n%s", logs)
	}
}

func TestHealthcheckFollowsReadiness(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	port := strings.TrimPrefix(s.url, "http://127.0.0.1:")
	env := map[string]string{"PICASSO_HOST": "0.0.0.0", "PICASSO_PORT": port}
	var out bytes.Buffer
	healthcheck := []string{"picasso-api", "healthcheck"}
	if err := run(context.Background(), healthcheck, func(k string) string { return env[k] }, &out, &out); err != nil {
		t.Fatalf("healthcheck of a ready server: %v\n%s", err, out.String())
	}

	env["PICASSO_PORT"] = strconv.Itoa(testenv.FreePort(t))
	err := run(context.Background(), healthcheck, func(k string) string { return env[k] }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "not ready") {
		t.Fatalf("healthcheck with no server: %v, want not ready", err)
	}
}

func TestUnusableDataDirectoryNamesThePath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "absent")
	err := checkSQLiteWritable("sqlite://" + filepath.Join(missing, "picasso.db"))
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing data directory: %v", err)
	}

	file := filepath.Join(t.TempDir(), "not-a-dir")
	os.WriteFile(file, nil, 0o600)
	if err := checkSQLiteWritable("sqlite://" + filepath.Join(file, "picasso.db")); err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("data directory that is a file: %v", err)
	}

	if err := checkSQLiteWritable("sqlite://" + filepath.Join(t.TempDir(), "picasso.db")); err != nil {
		t.Fatalf("writable data directory: %v", err)
	}
	if err := checkSQLiteWritable("mysql://root@127.0.0.1/picasso"); err != nil {
		t.Fatalf("MySQL has no data directory: %v", err)
	}
	// An unwritable directory (EACCES) is exercised by the container test,
	// which runs as uid 10001: root, as tests run in CI, may write anywhere.
}

func TestDurationsAreLoggedInMilliseconds(t *testing.T) {
	var out bytes.Buffer
	logger, closer, err := newLogger(&config{LogFormat: "json"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("x", "startup", 19465646*time.Nanosecond, "duration_ms", 1500*time.Microsecond, "count", 3)
	closer.Close()
	var line map[string]any
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["startup_ms"] != 19.465 || line["duration_ms"] != 1.5 || line["count"] != 3.0 || line["startup"] != nil {
		t.Errorf("durations not in milliseconds: %s", out.String())
	}
}

package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso/internal/testenv"
)

// withoutBubblewrap hides bwrap (and everything else) from PATH lookups.
func withoutBubblewrap(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
}

func TestKeystoneWithoutBubblewrapRefusesToStart(t *testing.T) {
	withoutBubblewrap(t)
	args := []string{"picasso-api", "--port", "0",
		"--db-uri", "sqlite://" + filepath.Join(t.TempDir(), "picasso.db"),
		"--auto-migrate", "--functions-dir", "../../examples/functions",
		"--keystone-endpoint", "http://127.0.0.1:1/v3", "--keystone-user", "picasso", "--keystone-password", "pw-secret"}
	var out bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &out)
	if err == nil {
		t.Fatal("started with Keystone and no sandbox")
	}
	if msg := err.Error(); !strings.Contains(msg, "--local-sandbox=none") || strings.Contains(msg, "\n") || strings.Contains(msg, "pw-secret") {
		t.Errorf("error %q: want one line naming --local-sandbox=none", msg)
	}
}

func TestDevModeWithoutBubblewrapWarnsAndRunsUnsandboxed(t *testing.T) {
	withoutBubblewrap(t)
	s := start(t, nil, devArgs(t)...)
	logs := s.stdout.await("functions run unsandboxed", `"sandbox":"none"`)
	if !strings.Contains(logs, "functions run unsandboxed") || !strings.Contains(logs, `"sandbox":"none"`) {
		t.Errorf("the log does not say functions run unsandboxed:\n%s", logs)
	}
}

func TestStartLogNamesTheSandbox(t *testing.T) {
	if _, err := exec.LookPath("bwrap"); err != nil {
		testenv.Unavailable(t, "bubblewrap: %v", err)
	}
	s := start(t, nil, devArgs(t)...)
	if logs := s.stdout.await(`"sandbox":"bwrap"`, "picasso-api ready"); !strings.Contains(logs, `"sandbox":"bwrap"`) || strings.Contains(logs, "may use the network") {
		t.Errorf("the start log does not name the bwrap sandbox:\n%s", logs)
	}
	s = start(t, nil, append(devArgs(t), "--local-allow-network")...)
	if logs := s.stdout.await("may use the network"); !strings.Contains(logs, "may use the network") {
		t.Errorf("--local-allow-network is not logged as a warning:\n%s", logs)
	}
}

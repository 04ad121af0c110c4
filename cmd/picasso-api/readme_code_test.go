package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// readmeBlock returns the first ```sh block after the README heading.
func readmeBlock(t *testing.T, heading string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatalf("no sh block under %q", heading)
	}
	return block
}

// TestReadmeDeployCode runs the README's path from a main.py to a public
// URL with curl against a real server.
func TestReadmeDeployCode(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed: apt-get install curl")
	}
	s := start(t, nil, devArgs(t)...)
	script := strings.ReplaceAll(readmeBlock(t, "## Deploy code, not images"), "localhost:10001", strings.TrimPrefix(s.url, "http://"))
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "P="+project)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README commands: %v\n%s", err, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(string(out)), `{"hello": "world"}`) {
		t.Errorf("README commands printed:\n%s", out)
	}
}

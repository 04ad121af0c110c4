package gateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// withLocalRuntime puts the gateway on the sandboxed local runtime over a
// functions directory holding the scripts (/bin/sh bodies).
func withLocalRuntime(t *testing.T, scripts map[string]string) harnessOption {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := local.New(local.Options{FunctionsDir: dir, MaxProcesses: 32, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if errors.Is(err, local.ErrSandboxUnavailable) {
		testenv.Unavailable(t, "bubblewrap: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rt.Close(ctx)
	})
	return func(_ *gateway.Config, deps *gateway.Deps) { deps.Backend = rt }
}

func TestLocalRuntimeRefusesLoaderConfigWith400(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withLocalRuntime(t, map[string]string{"hello": "echo hello"}))
	apps := "/v1/" + projA + "/apps"

	r := h.do(t, "POST", apps, "member-a", map[string]any{"app": map[string]any{"name": "evil", "config": map[string]string{"BASH_ENV": "/tmp/x"}}})
	r.expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "BASH_ENV") {
		t.Errorf("message %q does not name the key", msg)
	}
	h.do(t, "GET", apps+"/evil", "member-a", nil).expect(t, 404)

	h.createApp(projA, "member-a", "demo")
	routes := apps + "/demo/routes"
	r = h.do(t, "POST", routes, "member-a", map[string]any{"route": map[string]any{"path": "/py", "image": "hello", "config": map[string]string{"PYTHONWARNINGS": "ignore::antigravity.x"}}})
	r.expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "PYTHONWARNINGS") {
		t.Errorf("message %q does not name the key", msg)
	}
	h.do(t, "GET", routes+"/py", "member-a", nil).expect(t, 404)

	h.createRoute(projA, "member-a", "demo", map[string]any{"path": "/hello", "image": "hello", "config": map[string]string{"GREETING": "hi"}})
	r = h.do(t, "PUT", routes+"/hello", "member-a", map[string]any{"config": map[string]string{"ld-preload": "/tmp/evil.so"}})
	r.expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "ld-preload") || !strings.Contains(msg, "LD_PRELOAD") {
		t.Errorf("message %q does not name the key", msg)
	}
	r = h.do(t, "PUT", apps+"/demo", "member-a", map[string]any{"config": map[string]string{"LD_PRELOAD": "/tmp/evil.so"}})
	r.expect(t, 400)

	route := h.do(t, "GET", routes+"/hello", "member-a", nil).expect(t, 200).JSON(t)["route"].(map[string]any)
	if config := route["config"].(map[string]any); len(config) != 1 || config["GREETING"] != "hi" {
		t.Errorf("the refused update changed the route's config: %v", config)
	}
	app := h.do(t, "GET", apps+"/demo", "member-a", nil).expect(t, 200).JSON(t)["app"].(map[string]any)
	if config, _ := app["config"].(map[string]any); len(config) != 0 {
		t.Errorf("the refused update changed the app's config: %v", config)
	}
}

func TestLocalRuntimeContainsForkBombAndMemoryHogPerCall(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withLocalRuntime(t, map[string]string{
		"hello": "echo hello",
		"bomb":  "bomb() { bomb | bomb & }; bomb; sleep 60",
		"hog":   `x=$(head -c 64000000 /dev/zero | tr '\0' a); echo ${#x}`,
	}))
	h.createApp(projA, "member-a", "demo")
	h.createRoute(projA, "member-a", "demo", map[string]any{"path": "/hello", "image": "hello"})
	h.createRoute(projA, "member-a", "demo", map[string]any{"path": "/bomb", "image": "bomb", "timeout": 2})
	h.createRoute(projA, "member-a", "demo", map[string]any{"path": "/hog", "image": "hog", "memory": 16})
	call := "/r/" + projA + "/demo"

	for _, path := range []string{"/bomb", "/hog"} {
		r := h.do(t, "POST", call+path, "member-a", "")
		if r.Status < 500 || r.Status > 599 {
			t.Errorf("%s: status %d, want a 5xx: %s", path, r.Status, r.Body)
		}
		if msg := r.ErrorMessage(t); msg == "" {
			t.Errorf("%s: no error message: %s", path, r.Body)
		}
		if r := h.do(t, "POST", call+"/hello", "member-a", "").expect(t, 200); string(r.Body) != "hello\n" {
			t.Errorf("the call after %s answered %q", path, r.Body)
		}
	}
}

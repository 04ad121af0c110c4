package gateway_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// withCodeRuntime puts the gateway on a sandboxed local runtime that runs
// uploaded code unpacked below cacheDir, read from the harness's store.
func withCodeRuntime(t *testing.T, cacheDir string) harnessOption {
	t.Helper()
	return codeRuntime(t, cacheDir, local.SandboxBwrap)
}

// codeRuntime is withCodeRuntime with the sandbox of the caller's choice.
func codeRuntime(t *testing.T, cacheDir string, sandbox local.Sandbox) harnessOption {
	return func(_ *gateway.Config, deps *gateway.Deps) {
		rt, err := local.New(local.Options{FunctionsDir: t.TempDir(), CodeCacheDir: cacheDir, Sandbox: sandbox,
			Code: deps.Store.(picasso.CodeSource), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
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
		deps.Backend = rt
		deps.Code = deps.Store.(picasso.CodeStore)
	}
}

func zipFiles(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, _ := zw.Create(name)
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const echoPy = "def handler(event, context):\n    return {'got': event['body'], 'version': VERSION}\n"

func TestCodeUploadCallAndRestart(t *testing.T) {
	dbURI := sqliteURI(t)
	h := newHarness(t, dbURI, withCodeRuntime(t, t.TempDir()))
	h.createApp(projA, "member-a", "code")
	route := h.createRoute(projA, "member-a", "code", map[string]any{"path": "/echo", "runtime": "python3", "handler": "main.handler", "is_public": true})
	codeURL := "/v1/" + projA + "/apps/code/routes/echo/code"
	public := strings.TrimPrefix(*route.PublicURL, h.url)

	h.do(t, "GET", codeURL, "member-a", nil).expect(t, 404)
	h.do(t, "POST", public, "", "x").expect(t, 502) // no code yet

	up := h.do(t, "PUT", codeURL, "member-a", zipFiles(t, map[string]string{"main.py": "VERSION = 1\n" + echoPy}), "Content-Type", "application/zip").expect(t, 200)
	code := up.JSON(t)["code"].(map[string]any)
	if len(code["sha256"].(string)) != 64 || code["runtime"] != "python3" || code["handler"] != "main.handler" || code["size"].(float64) <= 0 {
		t.Errorf("upload answered %s", up.Body)
	}
	if got := h.do(t, "GET", codeURL, "member-a", nil).expect(t, 200).JSON(t)["code"].(map[string]any); got["sha256"] != code["sha256"] {
		t.Errorf("GET code: %v, want %v", got, code)
	}
	r := h.do(t, "POST", public, "", `{"a":1}`, "Content-Type", "application/json").expect(t, 200)
	if string(r.Body) != `{"got": {"a": 1}, "version": 1}` || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("call answered %s (%s)", r.Body, r.Header.Get("Content-Type"))
	}

	// A single file, as text/plain, is a new version.
	h.do(t, "PUT", codeURL, "member-a", "VERSION = 2\n"+echoPy, "Content-Type", "text/plain").expect(t, 400) // no filename
	h.do(t, "PUT", codeURL+"?filename=main.py", "member-a", "VERSION = 2\n"+echoPy, "Content-Type", "text/plain").expect(t, 200)
	waitFor(t, func() bool {
		return strings.Contains(string(h.do(t, "POST", public, "", "hi").Body), `"version": 2`)
	})

	// Another replica (or this one after a restart) has no unpacked copy
	// and serves the stored code.
	other := newHarness(t, dbURI, withCodeRuntime(t, t.TempDir()))
	if r := other.do(t, "POST", public, "", "hi").expect(t, 200); string(r.Body) != `{"got": "hi", "version": 2}` {
		t.Errorf("the other replica answered %s", r.Body)
	}
}

func TestHostileUploadsLeaveNothing(t *testing.T) {
	cache := t.TempDir()
	h := newHarness(t, sqliteURI(t), withCodeRuntime(t, cache))
	h.createApp(projA, "member-a", "code")
	h.createRoute(projA, "member-a", "code", map[string]any{"path": "/x", "runtime": "python3"})
	codeURL := "/v1/" + projA + "/apps/code/routes/x/code"

	for _, c := range []struct {
		name, contentType string
		body              []byte
		status            int
		message           string
	}{
		{"zip slip", "application/zip", zipFiles(t, map[string]string{"../../etc/x.py": "x"}), 400, "leads outside"},
		{"absolute", "application/zip", zipFiles(t, map[string]string{"/etc/x.py": "x"}), 400, "absolute"},
		{"bomb", "application/zip", zipFiles(t, map[string]string{"bomb": strings.Repeat("0", 30<<20)}), 400, "compressed size"},
		{"not an archive", "application/gzip", []byte("plain"), 400, "gzip"},
		{"wrong type", "application/octet-stream", []byte("x"), 415, "Content-Type"},
		{"bad file name", "text/plain", []byte("x"), 400, "file name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := h.do(t, "PUT", codeURL, "member-a", c.body, "Content-Type", c.contentType).expect(t, c.status)
			if msg := r.ErrorMessage(t); !strings.Contains(msg, c.message) {
				t.Errorf("message %q does not mention %q", msg, c.message)
			}
			h.do(t, "GET", codeURL, "member-a", nil).expect(t, 404)
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Errorf("the code cache holds %d entries", len(entries))
			}
		})
	}
}

func TestCodeUploadTooLarge(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withCodeRuntime(t, t.TempDir()), func(cfg *gateway.Config, _ *gateway.Deps) {
		cfg.CodeLimits.MaxCompressed = 1 << 10
	})
	h.createApp(projA, "member-a", "code")
	h.createRoute(projA, "member-a", "code", map[string]any{"path": "/x", "runtime": "python3"})
	h.do(t, "PUT", "/v1/"+projA+"/apps/code/routes/x/code?filename=main.py", "member-a", strings.Repeat("#", 2<<10), "Content-Type", "text/plain").expect(t, 413)
}

func TestCodeNeedsTheLocalRuntime(t *testing.T) {
	h := newHarness(t, sqliteURI(t)) // IronFunctions
	h.createApp(projA, "member-a", "img")
	h.createRoute(projA, "member-a", "img", map[string]any{"path": "/x", "image": "iron/hello"})
	r := h.do(t, "PUT", "/v1/"+projA+"/apps/img/routes/x/code?filename=main.py", "member-a", "x", "Content-Type", "text/plain").expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "local runtime") {
		t.Errorf("message %q", msg)
	}
	r = h.do(t, "POST", "/v1/"+projA+"/apps/img/routes", "member-a", map[string]any{"route": map[string]any{"path": "/py", "runtime": "python3"}}).expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "local runtime") {
		t.Errorf("message %q", msg)
	}
	caps := h.do(t, "GET", "/v1/capabilities", "", nil).expect(t, 200).JSON(t)
	if caps["code"] != false || caps["images"] != true {
		t.Errorf("capabilities %v", caps)
	}
	if rts := h.do(t, "GET", "/v1/runtimes", "", nil).expect(t, 200).JSON(t)["runtimes"].([]any); len(rts) != 0 {
		t.Errorf("runtimes %v", rts)
	}
}

func TestRuntimesAndCapabilities(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withCodeRuntime(t, t.TempDir()))
	caps := h.do(t, "GET", "/v1/capabilities", "", nil).expect(t, 200).JSON(t)
	if caps["code"] != true {
		t.Errorf("capabilities %v", caps)
	}
	names := map[string]string{}
	for _, rt := range h.do(t, "GET", "/v1/runtimes", "", nil).expect(t, 200).JSON(t)["runtimes"].([]any) {
		m := rt.(map[string]any)
		names[m["name"].(string)] = m["version"].(string)
	}
	if !strings.HasPrefix(names["python3"], "3.") || names["bash"] == "" {
		t.Errorf("runtimes %v", names)
	}
	h.createApp(projA, "member-a", "code")
	r := h.do(t, "POST", "/v1/"+projA+"/apps/code/routes", "member-a", map[string]any{"route": map[string]any{"path": "/x", "runtime": "cobol"}}).expect(t, 400)
	if msg := r.ErrorMessage(t); !strings.Contains(msg, "cobol") {
		t.Errorf("message %q", msg)
	}
	h.do(t, "POST", "/v1/"+projA+"/apps/code/routes", "member-a", map[string]any{"route": map[string]any{"path": "/a/code", "runtime": "python3"}}).expect(t, 400)
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 15 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

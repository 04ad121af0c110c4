package local

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

	"go.uber.org/goleak"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/internal/testlog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// examplesDir holds the example functions the tests run.
var examplesDir = filepath.Join("..", "..", "examples", "functions")

// newRuntime returns a runtime over dir (the examples when empty) whose
// log goes to the returned buffer; it is closed when the test ends.
func newRuntime(t *testing.T, opts Options) (*Runtime, *testlog.Buffer) {
	t.Helper()
	if opts.FunctionsDir == "" {
		opts.FunctionsDir = examplesDir
	}
	logs := &testlog.Buffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	rt, err := New(opts)
	if errors.Is(err, ErrSandboxUnavailable) {
		testenv.Unavailable(t, "bubblewrap: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rt, logs
}

// functionsDir returns a fresh functions directory holding the scripts,
// which run with /bin/sh unless they start with their own "#!" line.
func functionsDir(t *testing.T, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range scripts {
		if !strings.HasPrefix(body, "#!") {
			body = "#!/bin/sh\n" + body
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

var testApp = &picasso.App{
	Name:        "demo",
	BackendName: picasso.BackendName("0123abcd", "demo"),
}

// newRoute returns a sync route with the gateway's defaults.
func newRoute(path, image string) *picasso.Route {
	r := &picasso.Route{Path: path, Image: image}
	r.ApplyDefaults()
	return r
}

// postCall is a POST of body to route.
func postCall(route *picasso.Route, body string) *picasso.Call {
	return &picasso.Call{
		App:       testApp,
		Route:     route,
		Method:    "POST",
		Header:    map[string][]string{},
		Body:      strings.NewReader(body),
		RequestID: "req-test",
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// invokeOK runs the call, expects 200 and returns the body.
func invokeOK(t *testing.T, rt *Runtime, call *picasso.Call) string {
	t.Helper()
	res, err := rt.Invoke(testContext(t), call)
	if err != nil {
		t.Fatalf("Invoke(%s): %v", call.Route.Image, err)
	}
	defer res.Body.Close()
	if res.Status != 200 {
		t.Fatalf("Invoke(%s): status %d, want 200", call.Route.Image, res.Status)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// invokeErr runs the call and expects it to fail with code.
func invokeErr(t *testing.T, ctx context.Context, rt *Runtime, call *picasso.Call, code picasso.Code) *picasso.Error {
	t.Helper()
	res, err := rt.Invoke(ctx, call)
	if err == nil {
		res.Body.Close()
		t.Fatalf("Invoke(%s): status %d, want error %s", call.Route.Image, res.Status, code)
	}
	var e *picasso.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("Invoke(%s): %v (code %s), want %s", call.Route.Image, err, picasso.ErrorCode(err), code)
	}
	return e
}

package execution_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/store"
)

const project = "0123456789abcdef0123456789abcdef"

// fixture is a store, the local runtime with the given scripts as
// functions, an enqueuer and a worker (with a callback sender, when one
// is given) that are started on demand.
type fixture struct {
	t         *testing.T
	db        *store.DB
	runtime   *local.Runtime
	cfg       execution.WorkerConfig
	enqueuer  *execution.Enqueuer
	worker    *execution.Worker
	callbacks *execution.Callbacks
	app       *picasso.App
	dir       string
}

func newFixture(t *testing.T, uri string, scripts map[string]string, cfg execution.WorkerConfig, finisher execution.Finisher) *fixture {
	t.Helper()
	db, err := store.Open(context.Background(), uri, store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dir := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The scripts leave marks and wait for gates in the test's directory,
	// which the sandbox (tested on its own) would hide, so they run
	// unsandboxed.
	rt, err := local.New(local.Options{FunctionsDir: dir, Sandbox: local.SandboxNone})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	if cfg.Backoff.Base == 0 {
		cfg.Backoff = execution.Backoff{Base: 10 * time.Millisecond, Cap: 40 * time.Millisecond}
	}
	if cfg.LeaseMargin == 0 {
		cfg.LeaseMargin = 2 * time.Second
	}
	app := &picasso.App{ProjectID: project, Name: "jobs", BackendName: picasso.BackendName(project, "jobs")}
	if err := db.CreateApp(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, runtime: rt, cfg: cfg, app: app, dir: dir}
	f.newWorker(finisher)
	return f
}

// newWorker replaces the worker and the enqueuer that wakes it.
func (f *fixture) newWorker(finisher execution.Finisher) {
	f.worker = execution.NewWorker(f.cfg, f.db, f.db, f.runtime, finisher)
	f.enqueuer = execution.NewEnqueuer(execution.EnqueuerConfig{}, f.db, f.db, f.worker.Wake)
}

// sendCallbacks gives the fixture a callback sender on its store, which
// the worker tells of finished calls; startWorker starts it.
func (f *fixture) sendCallbacks(cfg execution.CallbackConfig, keys *execution.CallbackKeys) *execution.Callbacks {
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 20 * time.Millisecond
	}
	f.callbacks = execution.NewCallbacks(cfg, keys, f.db)
	f.newWorker(f.callbacks)
	return f.callbacks
}

// run runs fn until the test ends.
func (f *fixture) run(fn func(context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	f.t.Cleanup(func() { cancel(); <-done })
}

// route creates an async route running image with config.
func (f *fixture) route(path, image string, config map[string]string) *picasso.Route {
	f.t.Helper()
	r := &picasso.Route{AppID: f.app.ID, Path: path, Image: image, Type: picasso.RouteAsync, Config: config}
	r.ApplyDefaults()
	r.Timeout = 10
	if err := f.db.CreateRoute(context.Background(), r); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) enqueue(r *picasso.Route, body string) *picasso.CallRecord {
	f.t.Helper()
	call, created, err := f.enqueuer.Enqueue(context.Background(), &picasso.CallRecord{
		ProjectID: project, AppID: f.app.ID, AppName: f.app.Name, RoutePath: r.Path, Trigger: picasso.TriggerHTTP,
		Request: picasso.CallRequest{Method: "POST", Body: []byte(body)},
	})
	if err != nil || !created {
		f.t.Fatalf("Enqueue: %v, created %v", err, created)
	}
	return call
}

// startWorker runs the worker, and the callback sender if there is one,
// until the test ends.
func (f *fixture) startWorker() {
	f.run(f.worker.Run)
	if f.callbacks != nil {
		f.run(f.callbacks.Run)
	}
}

func (f *fixture) get(id string) *picasso.CallRecord {
	f.t.Helper()
	call, err := f.db.GetCall(context.Background(), project, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return call
}

// waitFor polls the call until it has status.
func (f *fixture) waitFor(id string, status picasso.CallStatus) *picasso.CallRecord {
	f.t.Helper()
	return f.waitUntil(id, "status "+string(status), func(c *picasso.CallRecord) bool { return c.Status == status })
}

// waitCallback polls the call until its callback has status.
func (f *fixture) waitCallback(id string, status picasso.CallbackStatus) *picasso.CallRecord {
	f.t.Helper()
	return f.waitUntil(id, "callback "+string(status), func(c *picasso.CallRecord) bool { return c.CallbackStatus == status })
}

// waitUntil polls the call until done says it is as wanted.
func (f *fixture) waitUntil(id, want string, done func(*picasso.CallRecord) bool) *picasso.CallRecord {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		call := f.get(id)
		if done(call) {
			return call
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("call %s is %s (attempt %d, error %q; callback %q after %d attempts, error %q), want %s", id,
				call.Status, call.Attempt, call.Error, call.CallbackStatus, call.CallbackAttempts, call.CallbackError, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) touch(name string) string {
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		f.t.Fatal(err)
	}
	return path
}

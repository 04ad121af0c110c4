package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/internal/testlog"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/store"
)

// Projects and the tokens of the unit tests. Keystone itself is exercised
// by the integration tests; here a table stands in for it.
const (
	projA     = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projB     = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	projAdmin = "cccccccccccccccccccccccccccccccc"
)

type tokenTable map[string]*picasso.Identity

func (t tokenTable) Authenticate(_ context.Context, token string) (*picasso.Identity, error) {
	if token == "" {
		return nil, picasso.Errorf(picasso.EUNAUTHENTICATED, "Missing X-Auth-Token")
	}
	if id, ok := t[token]; ok {
		return id, nil
	}
	return nil, picasso.Errorf(picasso.EUNAUTHENTICATED, "Invalid or expired token")
}

var testTokens = tokenTable{
	"member-a": {UserID: "user-a", ProjectID: projA, Roles: []string{"member", "reader"}},
	"reader-a": {UserID: "reader-a", ProjectID: projA, Roles: []string{"reader"}},
	"member-b": {UserID: "user-b", ProjectID: projB, Roles: []string{"member", "reader"}},
	"reader-b": {UserID: "reader-b", ProjectID: projB, Roles: []string{"reader"}},
	"admin":    {UserID: "admin", ProjectID: projAdmin, Roles: []string{"admin", "member", "reader"}},
	"unscoped": {UserID: "user-u"},
}

// harness is a gateway on a real store and the IronFunctions fake, served
// over real HTTP.
type harness struct {
	t       *testing.T
	url     string
	db      *store.DB
	fake    *ironfunctionstest.Server
	gateway *gateway.Server
	logs    *testlog.Buffer
}

type harnessOption func(*gateway.Config, *gateway.Deps)

func newHarness(t *testing.T, dbURI string, opts ...harnessOption) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURI, store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	fake := ironfunctionstest.New()
	t.Cleanup(fake.Close)
	backend, err := ironfunctions.New(fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	registry := prometheus.NewRegistry()
	cfg := gateway.Config{InvokeTimeoutMargin: 300 * time.Millisecond, RouteCacheRefresh: 50 * time.Millisecond}
	deps := gateway.Deps{
		Store:      db,
		Backend:    backend,
		Auth:       testTokens,
		Policy:     testPolicy{},
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: registry,
		Gatherer:   registry,
		Checks: []gateway.Check{
			{Name: "database", Check: db.Ping},
			{Name: "backend", Check: backend.Ping},
		},
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	runCtx, stop := context.WithCancel(ctx)
	var worker *execution.Worker
	if deps.Calls == nil {
		worker = execution.NewWorker(execution.WorkerConfig{
			PollInterval: time.Second, // the enqueuer wakes the worker; polls find retries
			LeaseMargin:  2 * time.Second,
			Backoff:      execution.Backoff{Base: 10 * time.Millisecond, Cap: 50 * time.Millisecond},
			Logger:       deps.Logger,
		}, db, deps.Store, deps.Backend, nil)
		deps.Calls = execution.NewEnqueuer(execution.EnqueuerConfig{}, db, deps.Store, worker.Wake)
		deps.CallStore = db
	}
	gw := gateway.NewServer(cfg, deps)
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		if worker != nil {
			worker.Run(runCtx)
		}
	}()
	t.Cleanup(func() { stop(); <-workerDone })
	go gw.Run(runCtx)
	srv := httptest.NewServer(gw)
	t.Cleanup(srv.Close)
	return &harness{t: t, url: srv.URL, db: db, fake: fake, gateway: gw, logs: logs}
}

// eachDB runs the test against SQLite and the real MariaDB.
func eachDB(t *testing.T, f func(t *testing.T, h *harness)) {
	testdb.Each(t, func(t *testing.T, uri string) { f(t, newHarness(t, uri)) })
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic value, failing the test when it is
// not JSON.
func (r *response) JSON(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return v
}

// ErrorMessage returns error.message of an error envelope.
func (r *response) ErrorMessage(t *testing.T) string {
	t.Helper()
	a := r.decode(t)
	if a.Error == nil {
		t.Fatalf("no error envelope: %s", r.Body)
	}
	return a.Error.Message
}

// try sends one request and reads the whole answer, reporting a
// transport error instead of failing a test, so that it may run on any
// goroutine. body may be nil, a string or []byte (sent as is, with no
// Content-Type of its own), a json.RawMessage (sent as is, labelled
// application/json) or any other value (encoded as JSON and labelled so).
// headers are name, value pairs and win over the label.
func (h *harness) try(ctx context.Context, method, path, token string, body any, headers ...string) (*response, error) {
	var reader io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		reader = strings.NewReader(b)
	case []byte:
		reader = bytes.NewReader(b)
	case json.RawMessage:
		reader, contentType = bytes.NewReader(b), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		reader, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, h.url+path, reader)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return sendRequest(req)
}

// do is try that fails t on a transport error.
func (h *harness) do(t testing.TB, method, path, token string, body any, headers ...string) *response {
	t.Helper()
	resp, err := h.try(context.Background(), method, path, token, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// jsonBody is a request body of JSON text, labelled application/json;
// "" is no body at all.
func jsonBody(text string) any {
	if text == "" {
		return nil
	}
	return json.RawMessage(text)
}

// sendRequest sends req with a client of its own, so that no keep-alive
// connection outlives the test (the fault tests check for leaks).
func sendRequest(req *http.Request) (*response, error) {
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// expect fails the test unless the response has the status.
func (r *response) expect(t *testing.T, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

func (h *harness) createApp(project, token, name string) *appJSON {
	h.t.Helper()
	body := map[string]any{"app": map[string]any{"name": name}}
	return h.do(h.t, "POST", "/v1/"+project+"/apps", token, body).expect(h.t, 200).decode(h.t).app(h.t)
}

func (h *harness) createRoute(project, token, app string, route map[string]any) *routeJSON {
	h.t.Helper()
	body := map[string]any{"route": route}
	return h.do(h.t, "POST", "/v1/"+project+"/apps/"+app+"/routes", token, body).expect(h.t, 200).decode(h.t).route(h.t)
}

func sqliteURI(t *testing.T) string { return testdb.SQLiteURI(t) }

// testPolicy is keystone's default policy table.
type testPolicy struct{}

func (testPolicy) Authorize(id *picasso.Identity, projectID string, action picasso.Action) error {
	return defaultPolicy.Authorize(id, projectID, action)
}

var defaultPolicy = keystone.DefaultPolicy()

func (testPolicy) IsAdmin(id *picasso.Identity) bool { return defaultPolicy.IsAdmin(id) }

// waitForCalls returns the backend's calls once there are at least n:
// async calls reach the backend from the worker, after the 202.
func (h *harness) waitForCalls(n int) []ironfunctionstest.Invocation {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		calls := h.fake.Calls()
		if len(calls) >= n || time.Now().After(deadline) {
			return calls
		}
		time.Sleep(5 * time.Millisecond)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/internal/testenv"
	"github.com/picasso-faas/picasso/internal/testlog"
)

// server is picasso-api started through run, as a user would start it.
type server struct {
	url    string
	stdout *lockedBuffer
	cancel context.CancelFunc
	done   chan error
}

// start runs picasso-api with args (plus a free port) and waits until
// /healthz answers.
func start(t *testing.T, env map[string]string, args ...string) *server {
	t.Helper()
	port := testenv.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{url: "http://127.0.0.1:" + strconv.Itoa(port), stdout: &lockedBuffer{}, cancel: cancel, done: make(chan error, 1)}
	argv := append([]string{"picasso-api", "--port", strconv.Itoa(port)}, args...)
	getenv := func(k string) string { return env[k] }
	go func() { s.done <- run(ctx, argv, getenv, s.stdout, s.stdout) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(15 * time.Second):
			t.Error("picasso-api did not stop")
		}
	})
	waitHealthy(t, s.url, s.done, s.stdout)
	return s
}

// devArgs are the embedded defaults with the database in a temporary
// directory and the repository's example functions.
func devArgs(t *testing.T) []string {
	return []string{"--dev", "--db-uri", "sqlite://" + filepath.Join(t.TempDir(), "picasso.db"),
		"--functions-dir", "../../examples/functions"}
}

func (s *server) request(t *testing.T, method, path, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

const project = "0123456789abcdef0123456789abcdef"

// TestWalkthrough is the README's walkthrough on the embedded defaults:
// no external service at all.
func TestWalkthrough(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	p := "/v1/" + project
	if status, _, body := s.request(t, "POST", p+"/apps", `{"app":{"name":"demo"}}`); status != 200 {
		t.Fatalf("create app: %d %s", status, body)
	}
	status, _, body := s.request(t, "POST", p+"/apps/demo/routes", `{"route":{"path":"/hello","image":"hello","is_public":true}}`)
	if status != 200 {
		t.Fatalf("create route: %d %s", status, body)
	}
	var created struct {
		Route struct {
			PublicURL string `json:"public_url"`
		} `json:"route"`
	}
	json.Unmarshal([]byte(body), &created)

	status, _, body = s.request(t, "POST", "/r/"+project+"/demo/hello", `{"name":"OpenStack"}`)
	if status != 200 || !strings.Contains(body, "Hello, OpenStack!") {
		t.Fatalf("private call: %d %q", status, body)
	}
	resp, err := http.Post(created.Route.PublicURL, "application/json", strings.NewReader(`{"name":"Aodh"}`))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(out), "Hello, Aodh!") {
		t.Fatalf("public call %s: %d %q", created.Route.PublicURL, resp.StatusCode, out)
	}
	logs := s.stdout.await("development mode", "127.0.0.1")
	if !strings.Contains(logs, "development mode") || !strings.Contains(logs, "127.0.0.1") {
		t.Errorf("the first log lines do not say it runs in development mode on loopback:\n%s", logs)
	}
}

func TestDiscoveryAndDocumentation(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	status, _, body := s.request(t, "GET", "/", "")
	if status != 200 || !strings.Contains(body, `"id":"v1"`) || !strings.Contains(body, `"CURRENT"`) {
		t.Errorf("GET / = %d %s", status, body)
	}
	for _, path := range []string{"/api/swagger.json", "/openapi.json"} {
		if status, _, body := s.request(t, "GET", path, ""); status != 200 || !strings.Contains(body, `"openapi"`) {
			t.Errorf("GET %s = %d", path, status)
		}
	}
	if status, header, _ := s.request(t, "GET", "/api", ""); status != 200 || !strings.HasPrefix(header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /api = %d %s", status, header.Get("Content-Type"))
	}
	if status, _, body := s.request(t, "GET", "/readyz", ""); status != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("GET /readyz = %d %s", status, body)
	}
}

// TestRequestIDs: a well-formed incoming id is kept, anything else is
// replaced, and the id is in the access log line.
func TestRequestIDs(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	const mine = "req-3f2504e0-4f89-41d3-9a0c-0305e82c3301"
	_, header, _ := s.request(t, "GET", "/healthz", "", "X-Openstack-Request-Id", mine)
	if header.Get("X-Openstack-Request-Id") != mine {
		t.Errorf("request id %q not kept", mine)
	}
	for _, bad := range []string{"req-nope", "abc", "req-3F2504E0-4F89-41D3-9A0C-0305E82C3301", mine + "\n{\"level\":\"ERROR\"}"} {
		_, header, _ := s.request(t, "GET", "/healthz", "", "X-Openstack-Request-Id", strings.ReplaceAll(bad, "\n", ""))
		if got := header.Get("X-Openstack-Request-Id"); got == bad || !strings.HasPrefix(got, "req-") || len(got) != len(mine) {
			t.Errorf("malformed id %q answered with %q", bad, got)
		}
	}
	if !strings.Contains(s.stdout.await(`"request_id":"`+mine+`"`), `"request_id":"`+mine+`"`) {
		t.Error("the request id is not in the access log")
	}
}

func TestTokensNeverReachTheLogs(t *testing.T) {
	s := start(t, nil, append(devArgs(t), "--log-level", "DEBUG")...)
	const token = "gAAAAABsecret-token-value-that-must-not-be-logged"
	p := "/v1/" + project
	s.request(t, "POST", p+"/apps", `{"app":{"name":"t","config":{"PASSWORD":"hunter2-config-secret"}}}`, "X-Auth-Token", token)
	s.request(t, "POST", p+"/apps/t/routes", `{"route":{"path":"/f","image":"fail"}}`, "X-Auth-Token", token)
	s.request(t, "POST", "/r/"+project+"/t/f", `body-secret`, "X-Auth-Token", token)
	s.request(t, "GET", "/v1/"+project+"/apps/nothing", "", "X-Auth-Token", token)
	logs := s.stdout.await(`"route":"/r/{first}/{rest}"`, `"route":"/v1/{project_id}/apps/{app}"`)
	for _, secret := range []string{token, "hunter2-config-secret", "body-secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("%q appears in the logs", secret)
		}
	}
	if !strings.Contains(logs, `"route":"/r/{first}/{rest}"`) {
		t.Errorf("no access line for the call, by route template:\n%s", logs)
	}
}

func TestMetrics(t *testing.T) {
	s := start(t, nil, devArgs(t)...)
	p := "/v1/" + project
	s.request(t, "POST", p+"/apps", `{"app":{"name":"m"}}`)
	s.request(t, "POST", p+"/apps/m/routes", `{"route":{"path":"/h","image":"hello"}}`)
	s.request(t, "POST", "/r/"+project+"/m/h", `{}`)
	_, _, body := s.request(t, "GET", "/metrics", "")
	for _, series := range []string{
		`picasso_http_request_duration_seconds_count{method="POST",route="/v1/{project_id}/apps",status="200"} 1`,
		`picasso_function_call_duration_seconds_count{outcome="ok"} 1`,
		`picasso_backend_call_duration_seconds_count{operation="create_route",outcome="ok"} 1`,
		`picasso_authentications_total{result="ok"}`,
		`go_goroutines`,
		`go_sql_max_open_connections`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if strings.Contains(body, project) {
		t.Error("a project id is used as a metric label")
	}
}

func TestInvalidConfigurationFailsWithOneLine(t *testing.T) {
	cases := []struct {
		args    []string
		env     map[string]string
		mention string
	}{
		{[]string{"--functions-url", "ironfunctions:8080"}, nil, "--functions-url"},
		{nil, map[string]string{"FUNCTIONS_URL": "localhost"}, "--functions-url"},
		{[]string{"--db-uri", "postgres://x/y"}, nil, "--db-uri"},
		{[]string{"--backend", "lambda"}, nil, "--backend"},
		{[]string{"--log-level", "LOUD"}, nil, "--log-level"},
		{[]string{"--host", "0.0.0.0"}, nil, "noauth"},
		{[]string{"--keystone-endpoint", "http://127.0.0.1:1/v3"}, nil, "credentials"},
		{nil, map[string]string{"PICASSO_PORT": "ten"}, "PICASSO_PORT"},
		{[]string{"--local-sandbox", "docker"}, nil, "--local-sandbox"},
		{[]string{"--local-max-processes", "0"}, nil, "--local-max-processes"},
		{[]string{"--local-max-idle-workers", "0"}, nil, "--local-max-idle-workers"},
		{[]string{"--callback-timeout", "0s"}, nil, "--callback-timeout"},
		{[]string{"--schedule-min-interval", "500ms"}, nil, "--schedule-min-interval"},
		{[]string{"--schedule-scan-period", "0s"}, nil, "--schedule-scan-period"},
		{[]string{"--db-uri", "mysql://root:pw-secret@127.0.0.1:1/db"}, nil, "Database unavailable"},
		{[]string{"--functions-url", "ftp://picasso:pw-secret@fn:8080/v2"}, nil, "--functions-url"},
		{[]string{"--public-url", "http://picasso:pw-secret@[::1"}, nil, "--public-url"},
		{[]string{"--default-limits", "function_things=1"}, nil, "--default-limits"},
		{nil, map[string]string{"PICASSO_DEFAULT_LIMITS": "function_apps=many"}, "--default-limits"},
		{[]string{"--limits-cache-ttl", "0s"}, nil, "--limits-cache-ttl"},
		{[]string{"--procs", "4"}, nil, "--procs"},
		{nil, map[string]string{"PICASSO_PROCS": "some"}, "--procs"},
		{[]string{"--gc-heap-floor", "-1"}, nil, "--gc-heap-floor"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"picasso-api"}, c.args...), func(k string) string { return c.env[k] }, &out, &out)
			if err == nil {
				t.Fatal("started with invalid configuration")
			}
			if msg := err.Error(); !strings.Contains(msg, c.mention) || strings.Contains(msg, "\n") || strings.Contains(msg, "pw-secret") {
				t.Errorf("error %q: want one line naming %s, without secrets", msg, c.mention)
			}
		})
	}
}

func TestHelpDocumentsEveryOption(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"picasso-api", "--help"}, func(string) string { return "" }, &out, &out); err != nil {
		t.Fatalf("--help failed: %v", err)
	}
	for _, name := range []string{"host", "port", "db-uri", "keystone-endpoint", "functions-url", "log-level", "log-file",
		"auto-migrate", "backend", "token-cache-ttl", "max-body-size", "drain-timeout", "PICASSO_DB", "FUNCTIONS_URL",
		"default-limits", "function_apps=100", "limits-service", "limits-cache-ttl"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("--help does not mention %s", name)
		}
	}
}

// lockedBuffer is a process's output, which the tests wait on.
type lockedBuffer struct{ testlog.Buffer }

// await returns the log once it holds every one of wants, or as it is
// after a while: lines reach the output in batches (logwriter.Async).
func (b *lockedBuffer) await(wants ...string) string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		logs := b.String()
		missing := false
		for _, want := range wants {
			missing = missing || !strings.Contains(logs, want)
		}
		if !missing || time.Now().After(deadline) {
			return logs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestHelpShowsNoSecrets(t *testing.T) {
	env := map[string]string{
		"PICASSO_DB":                             "mysql://picasso:db-secret@db/functions",
		"PICASSO_KEYSTONE_PASSWORD":              "keystone-secret",
		"PICASSO_KEYSTONE_APP_CREDENTIAL_SECRET": "appcred-secret",
	}
	for _, args := range [][]string{{"picasso-api", "--help"}, {"picasso-api", "migrate", "up", "--help"}} {
		var out bytes.Buffer
		run(context.Background(), args, func(k string) string { return env[k] }, &out, &out)
		for _, secret := range []string{"db-secret", "keystone-secret", "appcred-secret"} {
			if strings.Contains(out.String(), secret) {
				t.Errorf("%v prints %s", args, secret)
			}
		}
	}
}

func TestSecretsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"KEYSTONE_ENDPOINT": "http://127.0.0.1:5000/v3", "PICASSO_KEYSTONE_USER": "picasso",
		"PICASSO_KEYSTONE_PASSWORD": "from-env", "PICASSO_DB": "sqlite://from-env.db"}
	cfg, err := parseConfig("picasso-api", nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.KeystonePassword != "from-env" || cfg.DBURI != "sqlite://from-env.db" {
		t.Errorf("password %q, db %q", cfg.KeystonePassword, cfg.DBURI)
	}
	cfg, err = parseConfig("picasso-api", []string{"--keystone-password", "from-flag"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.KeystonePassword != "from-flag" {
		t.Errorf("the flag does not win: %v %q", err, cfg.KeystonePassword)
	}
}

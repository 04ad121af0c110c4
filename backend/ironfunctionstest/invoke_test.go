package ironfunctionstest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func createRoute(t *testing.T, s *Server, app, body string) {
	t.Helper()
	if status, b := do(t, s, "POST", "/v1/apps/"+app+"/routes", `{"route":`+body+`}`); status != 200 {
		t.Fatalf("create route %s: %d %s", body, status, b)
	}
}

func invoke(t *testing.T, s *Server, method, path, body string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestInvokeLookup(t *testing.T) {
	s := newServer(t)
	createRoute(t, s, "myapp", `{"path":"/w/*rest","image":"i"}`)
	createRoute(t, s, "myapp", `{"path":"/","image":"i"}`)
	replay(t, s, []step{
		{"GET", "/r/nope/x", "", 404, `{"error":{"message":"App not found"}}`},
		{"GET", "/r/myapp/none", "", 404, `{"error":{"message":"Route not found on that application"}}`},
		{"GET", "/r/myapp/w/anything", "", 404, `{"error":{"message":"Route not found on that application"}}`},
		{"GET", "/r/myapp", "", 404, `"Not Found"`},
		{"GET", "/r/myapp/w/*rest", "", 200, ""},
		{"GET", "/r/myapp/", "", 200, ""},
	})
}

func TestInvokeEcho(t *testing.T) {
	s := newServer(t)
	if status, b := do(t, s, "POST", "/v1/apps", `{"app":{"name":"myapp","config":{"db-host":"app","app-only":"a"}}}`); status != 200 {
		t.Fatalf("create app: %d %s", status, b)
	}
	createRoute(t, s, "myapp", `{"path":"/hello","image":"iron/hello","config":{"db-host":"route"},"headers":{"X-Fn":["first","second"]}}`)
	header := http.Header{"X-Trace-Id": {"t1", "t2"}, "Content-Type": {"text/plain"}}
	resp, body := invoke(t, s, "POST", "/r/myapp/hello/?payload=abc&x=1", "the body", header)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	if got := resp.Header.Values("X-Fn"); len(got) != 1 || got[0] != "first" {
		t.Errorf("route header X-Fn = %v, want only its first value", got)
	}
	var echo Echo
	if err := json.Unmarshal([]byte(body), &echo); err != nil {
		t.Fatalf("echo body %q: %v", body, err)
	}
	host := strings.TrimPrefix(s.URL(), "http://")
	want := map[string]string{
		"METHOD":              "POST",
		"ROUTE":               "/hello",
		"REQUEST_URL":         "http//" + host + "/r/myapp/hello/?payload=abc&x=1",
		"DB_HOST":             "route",
		"APP_ONLY":            "a",
		"HEADER_X_TRACE_ID":   "t1 t2",
		"HEADER_CONTENT_TYPE": "text/plain",
	}
	for k, v := range want {
		if echo.Env[k] != v {
			t.Errorf("env %s = %q, want %q", k, echo.Env[k], v)
		}
	}
	if echo.Method != "POST" || echo.Payload != "the body" {
		t.Errorf("echo = %+v, want method POST and the body as payload", echo)
	}

	for method, wantPayload := range map[string]string{"GET": "abc", "PUT": "", "DELETE": ""} {
		_, body := invoke(t, s, method, "/r/myapp/hello?payload=abc", "ignored", nil)
		var e Echo
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Payload != wantPayload || e.Method != method {
			t.Errorf("%s: echo %q, want payload %q", method, body, wantPayload)
		}
	}

	calls := s.Calls()
	if len(calls) != 4 {
		t.Fatalf("recorded %d calls, want 4", len(calls))
	}
	first := calls[0]
	if first.App != "myapp" || first.Route != "/hello" || string(first.Body) != "the body" ||
		first.Query != "payload=abc&x=1" || first.Header.Get("X-Trace-Id") != "t1" || first.Async {
		t.Errorf("first recorded call = %+v", first)
	}
}

func TestInvokeAsync(t *testing.T) {
	s := newServer(t)
	createRoute(t, s, "myapp", `{"path":"/bg","image":"i","type":"async"}`)
	for _, method := range []string{"GET", "POST"} {
		resp, body := invoke(t, s, method, "/r/myapp/bg", "queued", nil)
		var out struct {
			CallID string `json:"call_id"`
		}
		if resp.StatusCode != 202 || json.Unmarshal([]byte(body), &out) != nil || out.CallID == "" {
			t.Errorf("%s: %d %s, want 202 with a call_id", method, resp.StatusCode, body)
		}
	}
	calls := s.Calls()
	if len(calls) != 2 || !calls[1].Async || string(calls[1].Body) != "queued" || calls[1].CallID == "" {
		t.Errorf("recorded calls = %+v", calls)
	}
}

func TestInvokeSpecialImages(t *testing.T) {
	s := newServer(t)
	createRoute(t, s, "myapp", `{"path":"/slow","image":"sleep","timeout":1,"headers":{"X-R":["r"]}}`)
	createRoute(t, s, "myapp", `{"path":"/fail","image":"fail"}`)

	start := time.Now()
	resp, body := invoke(t, s, "POST", "/r/myapp/slow", "", nil)
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("timeout took %v", elapsed)
	}
	var e errorBody
	if resp.StatusCode != 504 || json.Unmarshal([]byte(body), &e) != nil || e.RequestID == "" || e.Error.Message != "Timed out" {
		t.Errorf("sleep: %d %s, want 504 Timed out with a request_id", resp.StatusCode, body)
	}
	if resp.Header.Get("X-R") != "r" {
		t.Errorf("route headers missing on the 504")
	}

	resp, body = invoke(t, s, "POST", "/r/myapp/fail", "", nil)
	e = errorBody{}
	if resp.StatusCode != 500 || json.Unmarshal([]byte(body), &e) != nil || e.RequestID == "" || e.Error.Message != "exit code 1" {
		t.Errorf("fail: %d %s, want 500 with a request_id", resp.StatusCode, body)
	}

	s.SetHang(true)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+"/r/myapp/slow", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("hanging sleep answered %d", resp.StatusCode)
	}
}

func TestConfiguredFailures(t *testing.T) {
	s := newServer(t)
	s.FailNext(2, 503)
	replay(t, s, []step{
		{"GET", "/version", "", 503, `{"error":{"message":"injected failure"}}`},
		{"GET", "/version", "", 503, `{"error":{"message":"injected failure"}}`},
		{"GET", "/version", "", 200, `{"version":"0.2.72"}`},
	})

	s.SetDown(true)
	if resp, err := http.Get(s.URL() + "/version"); err == nil {
		resp.Body.Close()
		t.Errorf("down server answered %d", resp.StatusCode)
	}
	s.SetDown(false)

	s.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+"/version", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("slow server answered %d within 100ms", resp.StatusCode)
	}

	// net/http retries an idempotent request once on a reused connection
	// that died, so the down server may see the request twice.
	reqs := s.Requests()
	if len(reqs) < 5 || len(reqs) > 6 || reqs[0] != "GET /version" {
		t.Errorf("Requests() = %v, want the 5 requests made (6 with a retry)", reqs)
	}
}

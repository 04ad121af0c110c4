package fntest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// client is a tiny JSON client of the fake for its own tests.
type client struct {
	t   *testing.T
	url string
}

func newClient(t *testing.T) (*Server, *client) {
	s := New()
	t.Cleanup(s.Close)
	return s, &client{t: t, url: s.URL()}
}

// call sends a request and returns the status, headers and body.
func (c *client) call(method, path, body string, header ...string) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

// want sends a request, checks the status and decodes the body into out.
func (c *client) want(status int, method, path, body string, out any) {
	c.t.Helper()
	got, _, data := c.call(method, path, body)
	if got != status {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, got, data, status)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.t.Fatalf("%s %s: decoding %s: %v", method, path, data, err)
		}
	}
}

// wantError checks Fn's flat error body.
func (c *client) wantError(status int, message, method, path, body string) {
	c.t.Helper()
	var e struct{ Message string }
	c.want(status, method, path, body, &e)
	if e.Message != message {
		c.t.Fatalf("%s %s: message %q, want %q", method, path, e.Message, message)
	}
}

func (c *client) createApp(name string) app {
	var a app
	c.want(http.StatusOK, "POST", "/v2/apps", fmt.Sprintf(`{"name":%q,"config":{"A":"1","SHARED":"app"}}`, name), &a)
	return a
}

func (c *client) createFn(appID, name, image string) fn {
	var f fn
	c.want(http.StatusOK, "POST", "/v2/fns", fmt.Sprintf(`{"name":%q,"app_id":%q,"image":%q,"timeout":1,"config":{"SHARED":"fn"}}`, name, appID, image), &f)
	return f
}

func (c *client) createTrigger(appID, fnID, name, source string) trigger {
	var tr trigger
	c.want(http.StatusOK, "POST", "/v2/triggers", fmt.Sprintf(`{"name":%q,"app_id":%q,"fn_id":%q,"type":"http","source":%q}`, name, appID, fnID, source), &tr)
	return tr
}

func TestRootAndVersion(t *testing.T) {
	_, c := newClient(t)
	var v map[string]string
	c.want(http.StatusOK, "GET", "/version", "", &v)
	if v["version"] != "0.3.753" {
		t.Errorf("version = %v", v)
	}
	c.want(http.StatusOK, "GET", "/", "", &v)
	if v["hello"] != "world!" {
		t.Errorf("root = %v", v)
	}
}

func TestRoutingErrors(t *testing.T) {
	_, c := newClient(t)
	c.wantError(http.StatusNotFound, "Path not found: GET /x", "GET", "/x", "")
	c.wantError(http.StatusMethodNotAllowed, "Method not allowed: PATCH /v2/apps", "PATCH", "/v2/apps", "")
	c.want(http.StatusGone, "GET", "/v2/fns/01ABC/calls", "", nil)
}

func TestCreateApp(t *testing.T) {
	_, c := newClient(t)
	a := c.createApp("myapp")
	if len(a.ID) != 26 || a.Name != "myapp" || a.Config["A"] != "1" {
		t.Fatalf("created app = %+v", a)
	}
	if _, err := time.Parse(time.RFC3339, a.CreatedAt); err != nil || !strings.HasSuffix(a.CreatedAt, "Z") || len(a.CreatedAt) != len("2026-11-22T12:52:21.343Z") {
		t.Errorf("created_at %q is not RFC 3339 with milliseconds in UTC", a.CreatedAt)
	}
	var got app
	c.want(http.StatusOK, "GET", "/v2/apps/"+a.ID, "", &got)
	if got.ID != a.ID || got.Name != a.Name {
		t.Errorf("GET = %+v, want %+v", got, a)
	}
	c.wantError(http.StatusConflict, "App already exists", "POST", "/v2/apps", `{"name":"myapp"}`)
	c.wantError(http.StatusBadRequest, "App ID cannot be supplied on create", "POST", "/v2/apps", `{"name":"x","id":"y"}`)
	c.wantError(http.StatusBadRequest, "Missing Name", "POST", "/v2/apps", `{}`)
	c.wantError(http.StatusBadRequest, "Invalid app name", "POST", "/v2/apps", `{"name":"a/b"}`)
	c.wantError(http.StatusNotFound, "App not found", "GET", "/v2/apps/nope", "")
}

func TestUpdateAppMerges(t *testing.T) {
	_, c := newClient(t)
	a := c.createApp("merge")
	var got app
	c.want(http.StatusOK, "PUT", "/v2/apps/"+a.ID, `{"config":{"A":"","NEW":"v"}}`, &got)
	if len(got.Config) != 2 || got.Config["NEW"] != "v" || got.Config["SHARED"] != "app" {
		t.Errorf("config after PUT = %v, want SHARED kept, A deleted, NEW added", got.Config)
	}
	c.wantError(http.StatusConflict, "Could not update - name is immutable", "PUT", "/v2/apps/"+a.ID, `{"name":"other"}`)
}

func TestListPaging(t *testing.T) {
	_, c := newClient(t)
	for i := range 101 {
		c.createApp(fmt.Sprintf("app%03d", i))
	}
	var p listResponse[app]
	c.want(http.StatusOK, "GET", "/v2/apps", "", &p)
	if len(p.Items) != 30 || p.NextCursor == "" {
		t.Fatalf("default page: %d items, cursor %q; want 30 and a cursor", len(p.Items), p.NextCursor)
	}
	c.want(http.StatusOK, "GET", "/v2/apps?per_page=1000", "", &p)
	if len(p.Items) != 100 {
		t.Fatalf("per_page=1000 gave %d items, want 100", len(p.Items))
	}
	c.want(http.StatusOK, "GET", "/v2/apps?per_page=-1", "", &p)
	if len(p.Items) != 30 {
		t.Fatalf("per_page=-1 gave %d items, want 30", len(p.Items))
	}

	var names []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatal("paging does not end")
		}
		p = listResponse[app]{}
		c.want(http.StatusOK, "GET", "/v2/apps?per_page=7&cursor="+cursor, "", &p)
		for _, a := range p.Items {
			names = append(names, a.Name)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(names) != 101 || names[0] != "app000" || names[100] != "app100" {
		t.Fatalf("paged through %d names (%v...), want 101 in order", len(names), names[:3])
	}

	c.want(http.StatusOK, "GET", "/v2/apps?name=app042", "", &p)
	if len(p.Items) != 1 || p.Items[0].Name != "app042" || p.NextCursor != "" {
		t.Fatalf("name filter = %+v", p)
	}
	c.want(http.StatusOK, "GET", "/v2/apps?name=myapp&per_page=1", "", &p)
	if len(p.Items) != 0 {
		t.Fatalf("unknown name lists %d apps", len(p.Items))
	}
}

func TestCursorIsBase64OfLastName(t *testing.T) {
	_, c := newClient(t)
	c.createApp("myapp")
	c.createApp("zapp")
	var p listResponse[app]
	c.want(http.StatusOK, "GET", "/v2/apps?per_page=1", "", &p)
	if p.NextCursor != "bXlhcHA" {
		t.Fatalf("next_cursor = %q, want bXlhcHA as docs/fn.md records", p.NextCursor)
	}
}

func TestFns(t *testing.T) {
	_, c := newClient(t)
	a := c.createApp("fns")
	f := c.createFn(a.ID, "hello", ImageEcho)
	if len(f.ID) != 26 || f.Memory != 128 || f.Timeout != 1 || f.IdleTimeout != 30 {
		t.Fatalf("created fn = %+v, want defaults memory 128, idle 30", f)
	}
	var endpoint string
	if err := json.Unmarshal(f.Annotations[invokeEndpointAnnotation], &endpoint); err != nil || !strings.HasSuffix(endpoint, "/invoke/"+f.ID) {
		t.Errorf("invokeEndpoint annotation = %s", f.Annotations[invokeEndpointAnnotation])
	}

	c.wantError(http.StatusBadRequest, "Missing AppID on Fn", "GET", "/v2/fns", "")
	c.wantError(http.StatusBadRequest, "Missing image on Fn", "POST", "/v2/fns", fmt.Sprintf(`{"name":"x","app_id":%q}`, a.ID))
	c.wantError(http.StatusBadRequest, "timeout value is out of range, must be between 0 and 300", "POST", "/v2/fns", fmt.Sprintf(`{"name":"x","app_id":%q,"image":"i","timeout":301}`, a.ID))
	c.wantError(http.StatusBadRequest, "memory value is out of range. It should be between 0 and 8192", "POST", "/v2/fns", fmt.Sprintf(`{"name":"x","app_id":%q,"image":"i","memory":8193}`, a.ID))
	c.wantError(http.StatusConflict, "Fn with specified name already exists", "POST", "/v2/fns", fmt.Sprintf(`{"name":"hello","app_id":%q,"image":"i"}`, a.ID))
	c.wantError(http.StatusNotFound, "App not found", "POST", "/v2/fns", `{"name":"x","app_id":"01NOAPP","image":"i"}`)

	var got fn
	c.want(http.StatusOK, "PUT", "/v2/fns/"+f.ID, `{"image":"other","memory":256,"app_id":"elsewhere","config":{"SHARED":"","K":"v"}}`, &got)
	if got.Image != "other" || got.Memory != 256 || got.Timeout != 1 || got.AppID != a.ID || len(got.Config) != 1 || got.Config["K"] != "v" {
		t.Fatalf("fn after PUT = %+v", got)
	}
	if got.Annotations != nil {
		t.Errorf("PUT answer has annotations %v; the real server omits them", got.Annotations)
	}

	var p listResponse[fn]
	c.want(http.StatusOK, "GET", "/v2/fns?app_id="+a.ID+"&name=hello", "", &p)
	if len(p.Items) != 1 || p.Items[0].ID != f.ID {
		t.Fatalf("fn list by name = %+v", p)
	}
}

func TestTriggers(t *testing.T) {
	_, c := newClient(t)
	a := c.createApp("trig")
	f := c.createFn(a.ID, "hello", ImageEcho)
	tr := c.createTrigger(a.ID, f.ID, "hello", "/hello")
	var endpoint string
	if err := json.Unmarshal(tr.Annotations[httpEndpointAnnotation], &endpoint); err != nil || !strings.HasSuffix(endpoint, "/t/trig/hello") {
		t.Errorf("httpEndpoint annotation = %s", tr.Annotations[httpEndpointAnnotation])
	}
	body := func(name, typ, source string) string {
		return fmt.Sprintf(`{"name":%q,"app_id":%q,"fn_id":%q,"type":%q,"source":%q}`, name, a.ID, f.ID, typ, source)
	}
	c.wantError(http.StatusBadRequest, "Trigger Type Not Supported", "POST", "/v2/triggers", body("x", "cron", "/x"))
	c.wantError(http.StatusBadRequest, "Missing Trigger Source Prefix '/'", "POST", "/v2/triggers", body("x", "http", "x"))
	c.wantError(http.StatusConflict, "Trigger with the same type and source exists on this app", "POST", "/v2/triggers", body("x", "http", "/hello"))

	var p listResponse[trigger]
	c.want(http.StatusOK, "GET", "/v2/triggers?app_id="+a.ID+"&fn_id="+f.ID, "", &p)
	if len(p.Items) != 1 || p.Items[0].Source != "/hello" {
		t.Fatalf("trigger list = %+v", p)
	}
}

func TestDeleteAppCascades(t *testing.T) {
	_, c := newClient(t)
	a := c.createApp("gone")
	f := c.createFn(a.ID, "hello", ImageEcho)
	tr := c.createTrigger(a.ID, f.ID, "hello", "/hello")
	c.want(http.StatusNoContent, "DELETE", "/v2/apps/"+a.ID, "", nil)
	c.wantError(http.StatusNotFound, "Fn not found", "GET", "/v2/fns/"+f.ID, "")
	c.wantError(http.StatusNotFound, "Trigger not found", "GET", "/v2/triggers/"+tr.ID, "")
	c.wantError(http.StatusNotFound, "App not found", "DELETE", "/v2/apps/"+a.ID, "")
}

func TestInvokeThroughTrigger(t *testing.T) {
	s, c := newClient(t)
	a := c.createApp("inv")
	f := c.createFn(a.ID, "hello", ImageEcho)
	c.createTrigger(a.ID, f.ID, "hello", "/a/b")

	status, header, body := c.call("PUT", "/t/inv/a/b?q=1", "payload", "Content-Type", "text/plain", "X-Custom", "yes")
	if status != http.StatusOK {
		t.Fatalf("invoke = %d %s", status, body)
	}
	callID := header.Get("Fn-Call-Id")
	if len(callID) != 26 {
		t.Errorf("Fn-Call-Id = %q", callID)
	}
	if header.Get("X-Echo-Call") != callID || header.Get("Fn-Fdk-Version") != "" || header.Get("Content-Type") != "application/json" {
		t.Errorf("response headers %v: want Fn-Http-H-* unwrapped and other function headers dropped", header)
	}
	var e Echo
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	h := e.Header
	switch {
	case e.Method != "PUT" || e.Body != "payload" || !strings.HasSuffix(e.URL, "/t/inv/a/b?q=1"):
		t.Errorf("echo = %+v", e)
	case h.Get("Fn-Http-H-X-Custom") != "yes" || h.Get("X-Custom") != "" || h.Get("Content-Type") != "text/plain":
		t.Errorf("function saw headers %v: want Fn-Http-H-X-Custom and a plain Content-Type", h)
	case h.Get("Fn-Http-Method") != "PUT" || h.Get("Fn-Intent") != "httprequest" || h.Get("Fn-Call-Id") != callID || h.Get("Fn-Deadline") == "":
		t.Errorf("function saw headers %v: want Fn's own", h)
	case e.Env["SHARED"] != "fn" || e.Env["A"] != "1" || e.Env["FN_FN_ID"] != f.ID || e.Env["FN_FORMAT"] != "http-stream":
		t.Errorf("env = %v: want app config overlaid by fn config and FN_* variables", e.Env)
	}
	if inv := s.Invocations(); len(inv) != 1 || inv[0].CallID != callID || string(inv[0].Body) != "payload" || inv[0].Detached {
		t.Errorf("recorded %+v", inv)
	}

	status, _, _ = c.call("GET", "/t/inv/a/b?status=418", "")
	if status != http.StatusTeapot {
		t.Errorf("function status 418 came back as %d", status)
	}
	c.wantError(http.StatusNotFound, "App not found", "GET", "/t/nope/a/b", "")
	c.wantError(http.StatusNotFound, "Trigger not found", "GET", "/t/inv/a", "")
}

func TestInvokeDetached(t *testing.T) {
	s, c := newClient(t)
	a := c.createApp("det")
	f := c.createFn(a.ID, "slow", ImageSleep)
	c.createTrigger(a.ID, f.ID, "slow", "/slow")
	status, header, body := c.call("POST", "/t/det/slow", "x", "Fn-Invoke-Type", "detached")
	if status != http.StatusAccepted || len(body) != 0 || header.Get("Fn-Call-Id") == "" {
		t.Fatalf("detached = %d %q %v, want 202, empty body and a call id", status, body, header)
	}
	if inv := s.Invocations(); len(inv) != 1 || !inv[0].Detached {
		t.Errorf("recorded %+v", inv)
	}
}

func TestInvokeFailures(t *testing.T) {
	s, c := newClient(t)
	s.SetTimeUnit(10 * time.Millisecond)
	a := c.createApp("bad")
	slow := c.createFn(a.ID, "slow", ImageSleep)
	c.createTrigger(a.ID, slow.ID, "slow", "/slow")
	fail := c.createFn(a.ID, "fail", ImageFail)
	c.createTrigger(a.ID, fail.ID, "fail", "/fail")

	c.wantError(http.StatusGatewayTimeout, "Timed out", "POST", "/t/bad/slow", "")
	c.wantError(http.StatusBadGateway, "function failed", "POST", "/t/bad/fail", "")
	if _, header, _ := c.call("POST", "/t/bad/fail", ""); header.Get("Fn-Call-Id") == "" {
		t.Error("a failed call has no Fn-Call-Id")
	}
	c.wantError(http.StatusMethodNotAllowed, "Method not allowed: GET /invoke/"+fail.ID, "GET", "/invoke/"+fail.ID, "")
	c.wantError(http.StatusBadGateway, "function failed", "POST", "/invoke/"+fail.ID, "")
}

func TestServerFailures(t *testing.T) {
	s, c := newClient(t)
	s.SetFailure(FailureDown)
	c.wantError(http.StatusServiceUnavailable, "Timed out - server too busy", "GET", "/version", "")
	s.SetFailure(FailureReset)
	// A POST, which Go's transport does not retry on a fresh connection.
	if resp, err := http.Post(c.url+"/version", "text/plain", nil); err == nil {
		resp.Body.Close()
		t.Fatalf("reset: got %d, want a connection error", resp.StatusCode)
	}
	s.SetFailure(FailureNone)
	c.want(http.StatusOK, "GET", "/version", "", nil)
	if s.Requests() != 3 {
		t.Errorf("Requests() = %d, want 3", s.Requests())
	}
}

package gateway_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// hostileFixture gives project A an app "svc" with a public route /ok and
// returns the route's public URL path.
func hostileFixture(h *harness) string {
	app := h.createApp(projA, "member-a", "svc")
	h.createRoute(projA, "member-a", "svc", map[string]any{"path": "/ok", "image": "iron/echo", "is_public": true})
	return "/r/" + app.BackendName + "/ok"
}

// Bodies every JSON endpoint must refuse with a 4xx JSON error.
var malformedBodies = map[string]string{
	"truncated object":    `{"app":{"name":"x"`,
	"truncated string":    `{"route":{"path":"/x`,
	"bare colon":          `{"app":`,
	"extra brace":         `{"app":{"name":"x"}}}`,
	"trailing garbage":    `{"description":"x"} trailing`,
	"two documents":       `{} {}`,
	"null":                `null`,
	"string":              `"app"`,
	"number":              `123`,
	"array":               `[{"app":{"name":"x"}}]`,
	"single quotes":       `{'app':{'name':'x'}}`,
	"comment":             `{"app":{"name":"x"}} // c`,
	"NaN":                 `{"memory":NaN}`,
	"huge number":         `{"memory":1e400}`,
	"fraction":            `{"memory":1.5}`,
	"negative":            `{"memory":-128}`,
	"int overflow":        `{"memory":99999999999999999999999}`,
	"wrong type object":   `{"app":{"name":{"x":1}}}`,
	"wrong type array":    `{"app":{"name":["x"]}}`,
	"null name":           `{"app":{"name":null}}`,
	"config not object":   `{"config":"K=v"}`,
	"config number value": `{"config":{"K":1}}`,
	"headers not arrays":  `{"headers":{"X-A":"1"}}`,
	"is_public yes":       `{"is_public":"yes"}`,
	"is_public number":    `{"is_public":1}`,
	"invalid UTF-8":       "{\"app\":{\"name\":\"\xff\xfe\"}}",
	"NUL in name":         `{"app":{"name":"a\u0000b"}}`,
	"NUL in description":  `{"description":"a\u0000b"}`,
	"NUL in config":       `{"config":{"K":"a\u0000b"}}`,
	"raw NUL":             "{\"description\":\"a\x00b\"}",
	"BOM":                 "\xef\xbb\xbf{\"description\":\"x\"}",
	"control character":   "{\"description\":\"a\x01b\"}",
	"deep objects":        strings.Repeat(`{"a":`, 200000) + "1" + strings.Repeat("}", 200000),
	"deep arrays":         `{"config":` + strings.Repeat("[", 500000) + strings.Repeat("]", 500000) + `}`,
	"unknown field":       `{"route":{"path":"/x","image":"i","jwt_key":"k"}}`,
}

// jsonEndpoints are the management requests that take a body.
var jsonEndpoints = []struct{ method, path string }{
	{"POST", "/v1/" + projA + "/apps"},
	{"PUT", "/v1/" + projA + "/apps/svc"},
	{"POST", "/v1/" + projA + "/apps/svc/routes"},
	{"PUT", "/v1/" + projA + "/apps/svc/routes/ok"},
}

func TestMalformedBodiesAreRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		hostileFixture(h)
		before := h.state(t)
		for name, body := range malformedBodies {
			t.Run(name, func(t *testing.T) {
				for _, e := range jsonEndpoints {
					h.do(t, e.method, e.path, "member-a", jsonBody(body)).expectClientError(t)
				}
			})
		}
		if after := h.state(t); after != before {
			t.Errorf("refused bodies changed the state:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// endless is a body that never ends.
type endless struct{ n atomic.Int64 }

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	e.n.Add(int64(len(p)))
	return len(p), nil
}

// post sends a body the server may refuse to read, of unknown length
// (chunked) when size < 0. It fails t on a transport error.
func post(t *testing.T, h *harness, method, path, token string, body io.Reader, size int64) *response {
	t.Helper()
	resp, err := h.rawSend(method, path, token, body, size)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// rawSend writes the body from another goroutine while it reads the
// answer. A server that refuses a body answers early and closes the
// connection; an HTTP client still writing would report that reset and
// lose the answer, which the server did send.
func (h *harness) rawSend(method, path, token string, body io.Reader, size int64) (*response, error) {
	req, err := http.NewRequest(method, h.url+path, body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	conn, err := net.Dial("tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	written := make(chan struct{})
	go func() {
		defer close(written)
		req.Write(conn)
	}()
	defer func() {
		conn.Close()
		<-written
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
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

func TestOversizeBodiesGet413(t *testing.T) {
	const maxBody = 64 << 10
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, _ *gateway.Deps) { c.MaxBodyBytes = maxBody })
	public := hostileFixture(h)
	before := h.state(t)
	tenMB := strings.Repeat("x", 10<<20)

	t.Run("management API, 10 MB", func(t *testing.T) {
		for _, e := range jsonEndpoints {
			body := `{"description":"` + tenMB + `"}`
			post(t, h, e.method, e.path, "member-a", strings.NewReader(body), int64(len(body))).expectError(t, http.StatusRequestEntityTooLarge)
		}
	})
	t.Run("management API, endless", func(t *testing.T) {
		body := &endless{}
		post(t, h, "POST", "/v1/"+projA+"/apps", "member-a", body, -1).expectError(t, http.StatusRequestEntityTooLarge)
		if body.n.Load() > 64<<20 {
			t.Errorf("the server read %d bytes of an endless body", body.n.Load())
		}
	})
	t.Run("call, declared length", func(t *testing.T) {
		calls := len(h.fake.Calls())
		post(t, h, "POST", public, "", strings.NewReader(tenMB), int64(len(tenMB))).expectError(t, http.StatusRequestEntityTooLarge)
		if len(h.fake.Calls()) != calls {
			t.Error("an oversize call reached the function")
		}
	})
	t.Run("call, endless", func(t *testing.T) {
		body := &endless{}
		post(t, h, "POST", public, "", body, -1).expectError(t, http.StatusRequestEntityTooLarge)
		if body.n.Load() > 64<<20 {
			t.Errorf("the server read %d bytes of an endless body", body.n.Load())
		}
	})
	t.Run("call, just under the limit", func(t *testing.T) {
		h.do(t, "POST", public, "", jsonBody(strings.Repeat("y", maxBody-1))).expect(t, http.StatusOK)
	})
	if after := h.state(t); after != before {
		t.Errorf("oversize bodies changed the state")
	}
}

// Strings that would break a query built by concatenation.
var injections = []string{
	`x' OR '1'='1`,
	`x'; DROP TABLE apps; --`,
	`x"); DROP TABLE routes; --`,
	`x\'; DELETE FROM apps WHERE 1=1; #`,
	`' UNION SELECT id, project_id FROM apps --`,
	"x`; TRUNCATE generation; --",
}

func TestSQLInjectionIsInert(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		public := hostileFixture(h)
		h.createApp(projB, "member-b", "other")
		before := h.state(t)
		esc := url.PathEscape
		for _, s := range injections {
			// In names and paths they are invalid or unknown.
			h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", jsonBody(`{"app":{"name":"`+jsonEscape(s)+`"}}`)).expectError(t, 400)
			h.do(t, "POST", "/v1/"+projA+"/apps/svc/routes", "member-a", jsonBody(`{"route":{"path":"/`+jsonEscape(s)+`","image":"i"}}`)).expectError(t, 400)
			h.do(t, "GET", "/v1/"+projA+"/apps/"+esc(s), "member-a", nil).expectError(t, 404)
			h.do(t, "PUT", "/v1/"+projA+"/apps/"+esc(s), "member-a", jsonBody(`{"description":"d"}`)).expectError(t, 404)
			h.do(t, "DELETE", "/v1/"+projA+"/apps/"+esc(s), "member-a", nil).expectError(t, 404)
			h.do(t, "GET", "/v1/"+projA+"/apps/"+esc(s)+"/routes", "member-a", nil).expectError(t, 404)
			h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/"+esc(s), "member-a", nil).expectError(t, 404)
			h.do(t, "DELETE", "/v1/"+projA+"/apps/svc/routes/"+esc(s), "member-a", nil).expectError(t, 404)
			h.do(t, "GET", "/v1/"+esc(s)+"/apps", "member-a", nil).expectError(t, 400)
			h.do(t, "POST", "/r/"+projA+"/"+esc(s)+"/ok", "member-a", jsonBody("x")).expectError(t, 404)
			h.do(t, "POST", "/r/"+esc(s)+"/ok", "", jsonBody("x")).expectError(t, 404)
			h.do(t, "POST", public+"/"+esc(s), "", jsonBody("x")).expectError(t, 404)
			h.do(t, "GET", "/v1/"+projA+"/apps?limit="+url.QueryEscape(s), "member-a", nil).expectError(t, 400)
			// A marker is a value to compare, never SQL: A's list is A's.
			list := h.do(t, "GET", "/v1/"+projA+"/apps?marker="+url.QueryEscape(s), "member-a", nil).expect(t, 200).decode(t)
			for _, a := range list.Apps {
				if p := a.ProjectID; p != projA {
					t.Errorf("marker %q listed an app of project %v", s, p)
				}
			}
		}
		if after := h.state(t); after != before {
			t.Fatalf("injection attempts changed the state")
		}
		// In free-text fields they are data, kept byte for byte.
		for i, s := range injections {
			h.do(t, "PUT", "/v1/"+projA+"/apps/svc", "member-a", jsonBody(`{"description":"`+jsonEscape(s)+`","config":{"K`+string(rune('a'+i))+`":"`+jsonEscape(s)+`"}}`)).expect(t, 200)
			got := h.do(t, "GET", "/v1/"+projA+"/apps/svc", "member-a", nil).expect(t, 200).decode(t).app(t)
			if got.Description != s || got.Config["K"+string(rune('a'+i))] != s {
				t.Errorf("stored %q as %v", s, got)
			}
			image := strings.ReplaceAll(s, " ", "/**/")
			h.do(t, "PUT", "/v1/"+projA+"/apps/svc/routes/ok", "member-a", jsonBody(`{"image":"`+jsonEscape(image)+`"}`)).expect(t, 200)
			rt := h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/ok", "member-a", nil).expect(t, 200).decode(t).route(t)
			if rt.Image != image {
				t.Errorf("stored image %q as %v", image, rt.Image)
			}
		}
		apps, err := h.db.ListAllApps(context.Background(), picasso.Page{Limit: 10})
		if err != nil || len(apps) != 2 {
			t.Fatalf("after the injections the store lists %d apps (%v), want 2", len(apps), err)
		}
		h.expectInSync(t)
	})
}

func jsonEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// raw writes a request byte for byte to the harness and reads the answer,
// for what an HTTP client library refuses to send.
func (h *harness) raw(t *testing.T, request string) *response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to %.80q: %v", request, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func TestHostileURLsAndHeaders(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		public := hostileFixture(h)
		before := h.state(t)
		get := func(target string, headers ...string) string {
			if len(headers) == 0 || headers[0] != "X-Auth-Token" {
				headers = append([]string{"X-Auth-Token", "member-a"}, headers...)
			}
			req := "GET " + target + " HTTP/1.1\r\nHost: picasso\r\nConnection: close\r\n"
			for i := 0; i+1 < len(headers); i += 2 {
				req += headers[i] + ": " + headers[i+1] + "\r\n"
			}
			return req + "\r\n"
		}
		app := "/v1/" + projA + "/apps/"
		// The gateway answers these with its JSON errors.
		ours := map[string]string{
			"dot-dot app":              get(app + "../apps"),
			"dot-dot route":            get(app + "svc/routes/../../svc"),
			"encoded dot-dot":          get(app + "%2e%2e/routes"),
			"double slash":             get("/v1//apps"),
			"double slash in route":    get(app + "svc/routes//ok"),
			"call double slash":        get(public[:len(public)-3] + "//ok"),
			"call dot-dot":             get(public + "/../ok"),
			"call dot":                 get(public[:len(public)-3] + "/./ok"),
			"NUL escape":               get(app + "a%00b"),
			"NUL escape in call":       get(public + "%00"),
			"invalid UTF-8 app":        get(app + "%FF%FE"),
			"invalid UTF-8 route":      get(app + "svc/routes/%C0%AF"),
			"invalid UTF-8 call":       get("/r/" + projA + "/svc/%FF"),
			"overlong UTF-8 slash":     get("/r/" + projA + "/svc%C0%AFok"),
			"invalid UTF-8 project":    get("/v1/%FF/apps"),
			"long app name":            get(app + strings.Repeat("a", 100<<10)),
			"long route":               get(app + "svc/routes/" + strings.Repeat("a/", 50<<10)),
			"long call path":           get(public + strings.Repeat("/a", 50<<10)),
			"long project id":          get("/v1/" + strings.Repeat("a", 100<<10) + "/apps"),
			"long token":               get(app+"svc", "X-Auth-Token", strings.Repeat("t", 100<<10)),
			"invalid UTF-8 token":      get(app+"svc", "X-Auth-Token", "\xff\xfe"),
			"unknown path":             get("/v2/" + projA + "/apps"),
			"method not allowed":       strings.Replace(get(app+"svc"), "GET", "PATCH", 1),
			"absolute form":            get("http://picasso" + app + "%FF"),
			"query with invalid UTF-8": get(app + "?marker=%FF&limit=%FF"),
		}
		for name, req := range ours {
			t.Run(name, func(t *testing.T) {
				h.raw(t, req).expectClientError(t)
			})
		}
		// net/http answers these itself, in plain text, before any handler
		// runs (docs/security.md): only the status class is ours to check.
		theirs := map[string]string{
			"bad escape":       get(app + "%zz"),
			"raw NUL":          get(app + "a\x00b"),
			"raw space":        "GET " + app + "a b HTTP/1.1\r\nHost: picasso\r\n\r\n",
			"header too large": get(app+"svc", "X-Big", strings.Repeat("b", 2<<20)),
			"path too large":   get(app + strings.Repeat("a", 2<<20)),
			"no Host":          "GET " + app + "svc HTTP/1.1\r\n\r\n",
			"bad header name":  get(app+"svc", "X Bad", "1"),
			"CR in header":     get(app+"svc", "X-A", "a\rb"),
		}
		for name, req := range theirs {
			t.Run(name, func(t *testing.T) {
				if resp := h.raw(t, req); resp.Status < 400 || resp.Status > 499 {
					t.Errorf("status %d, want 4xx: %.200s", resp.Status, resp.Body)
				}
			})
		}
		// Percent-escapes are decoded once, before routing, and every
		// decision uses the decoded path: an escaped slash or letter names
		// the same resource as the plain one, never another.
		same := map[string]string{
			app + "svc%2Froutes":                          app + "svc/routes",
			app + "%73vc":                                 app + "svc",
			public[:len(public)-3] + "%2Fok":              public,
			"/r/" + projA + "%2Fsvc%2Fok":                 "/r/" + projA + "/svc/ok",
			"/v1/" + projB + "%2F..%2F" + projA + "/apps": "/v1/" + projB + "/../" + projA + "/apps",
		}
		for escaped, plain := range same {
			want := h.raw(t, get(plain)).Status
			if got := h.raw(t, get(escaped)); got.Status != want {
				t.Errorf("%s answers %d, %s answers %d", escaped, got.Status, plain, want)
			}
		}
		// A request id that is not req-<uuid> is replaced, never echoed.
		forged := "req-'; DROP TABLE apps; --"
		resp := h.raw(t, get(app+"svc", "X-Openstack-Request-Id", forged)).expect(t, 200)
		if id := resp.Header.Get(picasso.RequestIDHeader); !gateway.ValidRequestID(id) {
			t.Errorf("request id %q answered to a forged one", id)
		}
		if after := h.state(t); after != before {
			t.Errorf("hostile URLs changed the state")
		}
		h.do(t, "GET", app+"svc", "member-a", nil).expect(t, 200)
	})
}

// discardingBackend reads and drops call bodies, so that the memory a
// burst of calls takes is the gateway's alone (the fake keeps bodies).
type discardingBackend struct{ picasso.Backend }

func (discardingBackend) Invoke(_ context.Context, call *picasso.Call) (*picasso.CallResult, error) {
	if _, err := io.Copy(io.Discard, call.Body); err != nil {
		return nil, picasso.Wrap(picasso.EBADGATEWAY, err, "read")
	}
	return &picasso.CallResult{Status: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("ok"))}, nil
}

// TestMemoryStaysBoundedUnderLargeBodies sends a burst of large bodies, to
// calls and to the management API at once, and checks that the heap never
// holds more than a fraction of what was sent: bodies stream, and what is
// refused is not read.
func TestMemoryStaysBoundedUnderLargeBodies(t *testing.T) {
	const (
		clients  = 16
		callBody = 16 << 20
		apiBody  = 10 << 20
		bound    = 96 << 20 // the burst carries 16×(16+10) MiB = 416 MiB
	)
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, d *gateway.Deps) {
		c.MaxBodyBytes = 2 * callBody
		d.Backend = discardingBackend{d.Backend}
	})
	public := hostileFixture(h)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	statuses := make(chan int, 2*clients)
	for range clients {
		wg.Go(func() {
			resp, err := h.rawSend("POST", public, "", io.LimitReader(&endless{}, callBody), callBody)
			statuses <- statusOr(resp, err, http.StatusOK)
		})
		wg.Go(func() {
			resp, err := h.rawSend("POST", "/v1/"+projA+"/apps", "member-a", io.LimitReader(&endless{}, apiBody), apiBody)
			statuses <- statusOr(resp, err, http.StatusRequestEntityTooLarge)
		})
	}
	wg.Wait()
	close(stop)
	<-sampled
	close(statuses)
	for s := range statuses {
		if s != 0 {
			t.Errorf("unexpected answer %d in the burst", s)
		}
	}
	grown := peak.Load() - min(peak.Load(), base.HeapInuse)
	t.Logf("heap grew by %d MiB at most", grown>>20)
	if grown > bound {
		t.Errorf("the heap grew by %d MiB during the burst, bound %d MiB", grown>>20, bound>>20)
	}
}

// statusOr returns 0 when resp has the wanted status, else what it got
// (-1 for a transport error).
func statusOr(resp *response, err error, want int) int {
	switch {
	case err != nil:
		return -1
	case resp.Status != want:
		return resp.Status
	}
	return 0
}

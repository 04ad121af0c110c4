package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/backend/ironfunctionstest"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/store"
)

// The fuzz targets drive the real handler (SQLite store, IronFunctions
// fake) through ServeHTTP, without a listener, and check what must hold
// for any input: no 5xx (a panic would show as a 500), errors are JSON.
// scripts/test.sh runs each for PICASSO_FUZZTIME; plain `go test` runs
// the seeds below. A crasher the fuzzer finds is kept under
// testdata/fuzz and replayed by every `go test` from then on.

// fuzzServer is a gateway for fuzzing: project A has app "fz" with a
// public route /pub and a private route /priv/x.
type fuzzServer struct {
	gw   *gateway.Server
	fake *ironfunctionstest.Server
	// backend name of app "fz"
	backendName string
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	ctx := context.Background()
	// In memory: a fuzzer writes thousands of times a second.
	db, err := store.Open(ctx, "sqlite::memory:", store.Options{AutoMigrate: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	fake := ironfunctionstest.New()
	f.Cleanup(fake.Close)
	backend, err := ironfunctions.New(fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { backend.Close(context.Background()) })
	registry := prometheus.NewRegistry()
	gw := gateway.NewServer(gateway.Config{PublicURL: "http://picasso"}, gateway.Deps{
		Store: db, Backend: backend, Auth: testTokens, Policy: testPolicy{},
		Registerer: registry, Gatherer: registry,
	})
	s := &fuzzServer{gw: gw, fake: fake}
	for _, step := range []struct{ method, path, body string }{
		{"POST", "/v1/" + projA + "/apps", `{"app":{"name":"fz"}}`},
		{"POST", "/v1/" + projA + "/apps/fz/routes", `{"route":{"path":"/pub","image":"iron/echo","is_public":true}}`},
		{"POST", "/v1/" + projA + "/apps/fz/routes", `{"route":{"path":"/priv/x","image":"iron/echo"}}`},
	} {
		if rec := s.serve(step.method, step.path, "member-a", step.body); rec.Code != http.StatusOK {
			f.Fatalf("%s %s: %d %s", step.method, step.path, rec.Code, rec.Body)
		}
	}
	s.backendName = picasso.BackendName(projA, "fz")
	return s
}

// serve runs one request through the handler. target must be a valid
// request target.
func (s *fuzzServer) serve(method, target, token, body string) *httptest.ResponseRecorder {
	u, err := url.ParseRequestURI(target)
	if err != nil {
		panic(err)
	}
	req := (&http.Request{
		Method: method, URL: u, RequestURI: target, Host: "picasso", RemoteAddr: "192.0.2.1:1234",
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: http.NoBody, ContentLength: int64(len(body)),
	}).WithContext(context.Background())
	if body != "" {
		req.Body = httptest.NewRequest("POST", "/", strings.NewReader(body)).Body
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	rec := httptest.NewRecorder()
	s.gw.ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails t on a 5xx and on an error that is not JSON.
func checkAnswer(t *testing.T, method, target string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s %q answered %d: %s", method, target, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && method != http.MethodHead {
		resp := &response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
		if why := resp.jsonError(); why != "" {
			t.Fatalf("%s %q answered %d, not a JSON error (%s): %s", method, target, rec.Code, why, rec.Body)
		}
	}
}

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}

// FuzzCallURL fuzzes the request target of function calls: the parsing
// of both /r/ forms and the route lookup. Beyond the general checks, a
// call can only succeed on the canonical URL of a route it may run.
func FuzzCallURL(f *testing.F) {
	s := newFuzzServer(f)
	public := "/r/" + s.backendName
	private := "/r/" + projA + "/fz"
	for _, seed := range []string{
		public + "/pub", private + "/pub", private + "/priv/x", "/v1" + private + "/priv/x",
		public + "/priv/x", public + "/pub/", public + "//pub", public + "/./pub", public + "/../pub",
		public + "/%70ub", public + "%2Fpub", private + "/priv%2Fx", private + "/priv/x/..",
		strings.ToUpper(public) + "/pub", "/r/" + strings.ToUpper(projA) + "/fz/pub", "/r/fz/pub",
		"/r/" + projB + "/fz/pub", "/r/" + projA + "/FZ/pub", "/r/" + projA + "-/fz/pub",
		"/r/pf/pub", "/r/" + s.backendName + "a/pub", "/r/", "/r//", "/r/x", "/v1/r/" + projA + "/fz",
		private + "/pub?x=1&y=%zz", private + "/%00", private + "/%FF", "/r/" + projA + "//fz/pub",
	} {
		for i := range fuzzMethods {
			f.Add(uint8(i), seed)
		}
	}
	// The URLs on which a call may succeed (member-a may run every route).
	canonical := map[string]bool{
		public + "/pub": true, private + "/pub": true, private + "/priv/x": true,
		"/v1" + private + "/pub": true, "/v1" + private + "/priv/x": true,
	}
	f.Fuzz(func(t *testing.T, m uint8, target string) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") {
			return // net/http answers 400 before any handler
		}
		rec := s.serve(method, target, "member-a", "")
		checkAnswer(t, method, target, rec)
		isCall := strings.HasPrefix(u.Path, "/r/") || strings.HasPrefix(u.Path, "/v1/r/")
		// OPTIONS answers 204 with Allow on every function URL, known or
		// not, without running anything.
		answeredOptions := method == http.MethodOptions && rec.Code == http.StatusNoContent
		if isCall && rec.Code < 300 && !answeredOptions && !canonical[u.Path] {
			t.Fatalf("%s %q (path %q) ran a function: %d %s", method, target, u.Path, rec.Code, rec.Body)
		}
	})
}

// FuzzAppBody fuzzes the JSON bodies of app creation and update.
func FuzzAppBody(f *testing.F) {
	s := newFuzzServer(f)
	for _, seed := range []string{
		`{"app":{"name":"a"}}`, `{"app":{"name":"a","description":"d","config":{"K":"v"}}}`,
		`{"app":{"name":"a-b_c","config":{}}}`, `{"app":{"name":""}}`, `{"app":{"name":"a.b"}}`,
		`{"app":{"name":7}}`, `{"app":{"name":null}}`, `{"app":[]}`, `{"app":{}}`, `{}`, `[]`, `null`,
		`{"app":{"name":"a"}} {}`, `{"app":{"name":"a","x":1}}`, `{"description":"x"}`,
		`{"config":{"K":""}}`, `{"config":{"a b":"c"}}`, `{"config":{"K":"a\u0000b"}}`,
		`{"app":{"name":"caf\u00e9"}}`, "{\"app\":{\"name\":\"\xff\"}}", `{"app":{"name":"a"`,
		`{"app":{"name":"` + strings.Repeat("a", 65) + `"}}`, `{"description":"` + strings.Repeat("d", 1025) + `"}`,
		`{"app":{"name":"x' OR '1'='1"}}`, `{"app":{"name":"a","name":"b"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := s.serve("POST", "/v1/"+projA+"/apps", "member-a", body)
		checkAnswer(t, "POST", "apps", rec)
		if rec.Code == http.StatusOK {
			var created struct {
				App struct {
					Name string `json:"name"`
				} `json:"app"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
				t.Fatalf("created app is not JSON: %s", rec.Body)
			}
			if err := picasso.ValidateAppName(created.App.Name); err != nil || created.App.Name == "fz" {
				t.Fatalf("created an app named %q: %v", created.App.Name, err)
			}
			path := "/v1/" + projA + "/apps/" + url.PathEscape(created.App.Name)
			if got := s.serve("GET", path, "member-a", ""); got.Code != http.StatusOK {
				t.Fatalf("created app %q cannot be read: %d", created.App.Name, got.Code)
			}
			if del := s.serve("DELETE", path, "member-a", ""); del.Code != http.StatusOK {
				t.Fatalf("created app %q cannot be deleted: %d %s", created.App.Name, del.Code, del.Body)
			}
		}
		checkAnswer(t, "PUT", "app", s.serve("PUT", "/v1/"+projA+"/apps/fz", "member-a", body))
	})
}

// FuzzRouteBody fuzzes the JSON bodies of route creation and update,
// is_public given as a boolean or as the strings python-picassoclient
// sends included.
func FuzzRouteBody(f *testing.F) {
	s := newFuzzServer(f)
	for _, seed := range []string{
		`{"route":{"path":"/n","image":"i"}}`, `{"route":{"path":"/n","image":"i","is_public":true}}`,
		`{"route":{"path":"/n","image":"i","is_public":"true"}}`, `{"route":{"path":"/n","image":"i","is_public":"false"}}`,
		`{"route":{"path":"/n","image":"i","is_public":"yes"}}`, `{"route":{"path":"/n","image":"i","is_public":1}}`,
		`{"route":{"path":"/n","image":"i","is_public":null}}`, `{"route":{"path":"/a/b/c","image":"i","type":"async","format":"http"}}`,
		`{"route":{"path":"/n","image":"i","memory":0,"timeout":301,"max_concurrency":-1}}`,
		`{"route":{"path":"/n","image":"i","config":{"K":"v"},"headers":{"X-A":["1"]}}}`,
		`{"route":{"path":"/n","image":"i","headers":{"X A":["1"]}}}`, `{"route":{"path":"/n","image":"i","headers":{"X-A":["a\r\nb"]}}}`,
		`{"route":{"path":"n","image":"i"}}`, `{"route":{"path":"/a/../b","image":"i"}}`, `{"route":{"path":"/%zz","image":"i"}}`,
		`{"route":{"path":"/n","image":"i j"}}`, `{"route":{"path":"/pub","image":"i"}}`, `{"route":{}}`,
		`{"is_public":"true"}`, `{"is_public":false}`, `{"image":"iron/x","memory":256}`, `{"path":"/moved"}`,
		`{"memory":1e3}`, `{"memory":1.5}`, `{"timeout":"30"}`, `{"config":{"K":""}}`, `{}`, `[]`, `{"is_public":"TRUE"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		rec := s.serve("POST", "/v1/"+projA+"/apps/fz/routes", "member-a", body)
		checkAnswer(t, "POST", "routes", rec)
		if rec.Code == http.StatusOK {
			route := decodeRouteView(t, rec)
			var req struct {
				Route map[string]json.RawMessage `json:"route"`
			}
			json.Unmarshal([]byte(body), &req)
			if want := publicFlag(req.Route["is_public"]); route.IsPublic != want {
				t.Fatalf("is_public %s created a route with is_public %v", req.Route["is_public"], route.IsPublic)
			}
			if err := picasso.ValidateRoutePath(route.Path); err != nil {
				t.Fatalf("created a route at %q: %v", route.Path, err)
			}
			del := s.serve("DELETE", "/v1/"+projA+"/apps/fz/routes"+route.Path, "member-a", "")
			if del.Code != http.StatusOK {
				t.Fatalf("created route %q cannot be deleted: %d %s", route.Path, del.Code, del.Body)
			}
		}
		rec = s.serve("PUT", "/v1/"+projA+"/apps/fz/routes/priv/x", "member-a", body)
		checkAnswer(t, "PUT", "route", rec)
		if rec.Code == http.StatusOK {
			var fields map[string]json.RawMessage
			json.Unmarshal([]byte(body), &fields)
			if raw, ok := fields["is_public"]; ok && decodeRouteView(t, rec).IsPublic != publicFlag(raw) {
				t.Fatalf("is_public %s updated the route to %v", raw, !publicFlag(raw))
			}
			// Keep the private route private for the other targets' sake.
			s.serve("PUT", "/v1/"+projA+"/apps/fz/routes/priv/x", "member-a", `{"is_public":false}`)
		}
	})
}

type fuzzRouteView struct {
	Path     string `json:"path"`
	IsPublic bool   `json:"is_public"`
}

func decodeRouteView(t *testing.T, rec *httptest.ResponseRecorder) fuzzRouteView {
	t.Helper()
	var out struct {
		Route fuzzRouteView `json:"route"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("route answer is not JSON: %s", rec.Body)
	}
	return out.Route
}

// publicFlag is what an accepted is_public value means: only true and
// "true" make a route public.
func publicFlag(raw json.RawMessage) bool {
	var v any
	json.Unmarshal(raw, &v)
	return v == true || v == "true"
}

var requestIDPattern = regexp.MustCompile(`^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// FuzzRequestID checks ValidRequestID against the pattern it implements
// and that the gateway echoes exactly the valid ids.
func FuzzRequestID(f *testing.F) {
	s := newFuzzServer(f)
	for _, seed := range []string{
		"req-123e4567-e89b-12d3-a456-426614174000", "req-123E4567-E89B-12D3-A456-426614174000",
		"req-123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-426614174000", "req-",
		"req-123e4567-e89b-12d3-a456-42661417400", "req-123e4567-e89b-12d3-a456-4266141740000",
		"req-123e4567-e89b-12d3-a456-42661417400\n", "req-g23e4567-e89b-12d3-a456-426614174000",
		"req-123e4567-e89b-12d3-a456_426614174000", "", "req-'; DROP TABLE apps; --",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		valid := gateway.ValidRequestID(id)
		if valid != requestIDPattern.MatchString(id) {
			t.Fatalf("ValidRequestID(%q) = %v, the pattern says %v", id, valid, !valid)
		}
		u, _ := url.ParseRequestURI("/healthz")
		req := (&http.Request{Method: "GET", URL: u, RequestURI: "/healthz", Header: http.Header{picasso.RequestIDHeader: {id}},
			Body: http.NoBody, Host: "picasso"}).WithContext(context.Background())
		rec := httptest.NewRecorder()
		s.gw.ServeHTTP(rec, req)
		got := rec.Header().Get(picasso.RequestIDHeader)
		switch {
		case valid && got != id:
			t.Fatalf("valid id %q answered as %q", id, got)
		case !valid && (got == id || !gateway.ValidRequestID(got)):
			t.Fatalf("invalid id %q answered as %q", id, got)
		}
	})
}

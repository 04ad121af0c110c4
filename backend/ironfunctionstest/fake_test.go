package ironfunctionstest

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// step is one request of a transcript of the real server and the answer
// it gave (docs/ironfunctions.md describes them). want is compared as JSON; an empty want
// checks the status only.
type step struct {
	method, path, body string
	status             int
	want               string
}

func replay(t *testing.T, s *Server, steps []step) {
	t.Helper()
	for _, st := range steps {
		status, body := do(t, s, st.method, st.path, st.body)
		if status != st.status {
			t.Errorf("%s %s %s: status %d, want %d (body %s)", st.method, st.path, st.body, status, st.status, body)
			continue
		}
		if st.want != "" && !jsonEqual(t, body, st.want) {
			t.Errorf("%s %s %s:\n got %s\nwant %s", st.method, st.path, st.body, body, st.want)
		}
	}
}

func do(t *testing.T, s *Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
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
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" && !strings.HasPrefix(path, "/r/") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

func jsonEqual(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("response %q is not JSON: %v", got, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("transcript %q is not JSON: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

func newServer(t *testing.T) *Server {
	s := New()
	t.Cleanup(s.Close)
	return s
}

func TestRootEndpoints(t *testing.T) {
	replay(t, newServer(t), []step{
		{"GET", "/", "", 200, `{"goto":"https://github.com/iron-io/functions","hello":"world!"}`},
		{"GET", "/version", "", 200, `{"version":"0.2.72"}`},
		{"GET", "/v1/version", "", 404, `"Not Found"`},
		{"GET", "/stats", "", 200, `{"Queue":0,"Running":0,"Complete":0}`},
		{"PUT", "/v1/apps/x", "", 404, `"Not Found"`},
		{"POST", "/v1/apps/x/routes/y", "{}", 404, `"Not Found"`},
		{"GET", "/v1/calls", "", 404, `"Not Found"`},
	})
}

func TestAppTranscripts(t *testing.T) {
	replay(t, newServer(t), []step{
		{"POST", "/v1/apps", `{"app":{"name":"myapp","config":{"Foo":"bar","db-host":"h1"}}}`, 200,
			`{"message":"App successfully created","app":{"name":"myapp","config":{"Foo":"bar","db-host":"h1"}}}`},
		{"POST", "/v1/apps", `{"app":{"name":"myapp"}}`, 409, `{"error":{"message":"App already exists"}}`},
		{"POST", "/v1/apps", `not json`, 400, `{"error":{"message":"Invalid JSON"}}`},
		{"POST", "/v1/apps", `{"name":"x"}`, 400, `{"error":{"message":"Missing new application"}}`},
		{"POST", "/v1/apps", `{"app":{"name":""}}`, 500, `{"error":{"message":"validation failure list:\nMissing app name"}}`},
		{"POST", "/v1/apps", `{"app":{"name":"` + strings.Repeat("a", 31) + `"}}`, 500,
			`{"error":{"message":"validation failure list:\nApp name must be 30 characters or less"}}`},
		{"POST", "/v1/apps", `{"app":{"name":"Abc"}}`, 500, `{"error":{"message":"validation failure list:\nInvalid app name"}}`},
		{"POST", "/v1/apps", `{"app":{"name":"has.dot"}}`, 500, `{"error":{"message":"validation failure list:\nInvalid app name"}}`},
		{"POST", "/v1/apps", `{"app":{"name":"has space"}}`, 500, `{"error":{"message":"validation failure list:\nInvalid app name"}}`},
		{"POST", "/v1/apps", `{"app":{"name":"Zed"}}`, 200, `{"message":"App successfully created","app":{"name":"Zed","config":null}}`},
		{"POST", "/v1/apps", `{"app":{"name":"a~b"}}`, 200, `{"message":"App successfully created","app":{"name":"a~b","config":null}}`},
		{"POST", "/v1/apps", `{"app":{"name":"ü-ok"}}`, 200, `{"message":"App successfully created","app":{"name":"ü-ok","config":null}}`},
		{"GET", "/v1/apps/myapp", "", 200,
			`{"message":"Successfully loaded app","app":{"name":"myapp","config":{"Foo":"bar","db-host":"h1"}}}`},
		{"GET", "/v1/apps/nope", "", 404, `{"error":{"message":"App not found"}}`},
		{"PATCH", "/v1/apps/myapp", `{"app":{"config":{"Foo":"","new":"v"}}}`, 200,
			`{"message":"App successfully updated","app":{"name":"myapp","config":{"db-host":"h1","new":"v"}}}`},
		{"PATCH", "/v1/apps/myapp", `{"app":{"name":"other"}}`, 400, `{"error":{"message":"Could not update app - name is immutable"}}`},
		{"PATCH", "/v1/apps/myapp", `{}`, 400, `{"error":{"message":"Missing new application"}}`},
		{"PATCH", "/v1/apps/nope", `{"app":{"config":{"a":"b"}}}`, 404, `{"error":{"message":"App not found"}}`},
		{"GET", "/v1/apps", "", 200, `{"message":"Successfully listed applications","apps":[
			{"name":"Zed","config":null},{"name":"a~b","config":null},
			{"name":"myapp","config":{"db-host":"h1","new":"v"}},{"name":"ü-ok","config":null}]}`},
		{"DELETE", "/v1/apps/nope", "", 500, `{"error":{"message":"bucket not found"}}`},
		{"DELETE", "/v1/apps/Zed", "", 200, `{"message":"App deleted"}`},
	})
}

const helloRoute = `{"app_name":"myapp","path":"/hello","image":"iron/hello","memory":128,"headers":{},"type":"sync",` +
	`"format":"default","max_concurrency":1,"timeout":30,"idle_timeout":0,"config":{},"jwt_key":""}`

func TestRouteTranscripts(t *testing.T) {
	replay(t, newServer(t), []step{
		// Route create auto-creates its app.
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/hello","image":"iron/hello","app_name":"ignored"}}`, 200,
			`{"message":"Route successfully created","route":` + helloRoute + `}`},
		{"GET", "/v1/apps/myapp", "", 200, `{"message":"Successfully loaded app","app":{"name":"myapp","config":null}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/hello","image":"x"}}`, 409, `{"error":{"message":"Route already exists"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":`, 400, `{"error":{"message":"Invalid JSON"}}`},
		{"POST", "/v1/apps/myapp/routes", `{}`, 400, `{"error":{"message":"Missing new route"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nMissing route Image\nMissing route Path\nInvalid Path format"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/n","image":"i","max_concurrency":-1,"timeout":-1,"idle_timeout":-1}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nNegative MaxConcurrency\nNegative timeout\nNegative idle timeout"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"nolead","image":"i"}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nInvalid Path format"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/a/:b","image":"i"}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nDynamic URL is not allowed"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/j","image":"i","format":"json"}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nInvalid route Format"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/t","image":"i","type":"cron"}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nInvalid route Type"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/m","image":"i","memory":-1}}`, 400, `{"error":{"message":"Invalid JSON"}}`},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/c","image":"i","max_concurrency":"1"}}`, 400, `{"error":{"message":"Invalid JSON"}}`},
		{"POST", "/v1/apps/Abc/routes", `{"route":{"path":"/x","image":"i"}}`, 500, `{"error":{"message":"Invalid app name"}}`},
		// Nested paths, trailing slashes and path.Clean.
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/a/b/c","image":"i"}}`, 200, ``},
		{"GET", "/v1/apps/myapp/routes/hello/", "", 200, `{"message":"Successfully loaded route","route":` + helloRoute + `}`},
		{"GET", "/v1/apps/nope/routes/hello", "", 404, `{"error":{"message":"App not found"}}`},
		{"GET", "/v1/apps/myapp/routes/nope", "", 404, `{"error":{"message":"Route not found"}}`},
		{"GET", "/v1/apps/nope/routes", "", 200, `{"message":"Sucessfully listed routes","routes":[]}`},
		{"PATCH", "/v1/apps/myapp/routes/hello", `{"route":{"path":"/other"}}`, 400,
			`{"error":{"message":"Could not update route - path is immutable"}}`},
		{"PATCH", "/v1/apps/myapp/routes/hello", `{}`, 400, `{"error":{"message":"Missing new route"}}`},
		{"PATCH", "/v1/apps/myapp/routes/hello", `{"route":{"timeout":-1}}`, 400,
			`{"error":{"message":"validation failure list:\nvalidation failure list:\nNegative timeout"}}`},
		{"PATCH", "/v1/apps/myapp/routes/nope", `{"route":{"image":"i"}}`, 404, `{"error":{"message":"Route not found"}}`},
		{"DELETE", "/v1/apps/myapp", "", 400, `{"error":{"message":"Cannot remove apps with routes"}}`},
		{"DELETE", "/v1/apps/myapp/routes/a/b/c", "", 200, `{"message":"Route deleted"}`},
		{"DELETE", "/v1/apps/myapp/routes/a/b/c", "", 200, `{"message":"Route deleted"}`},
		{"GET", "/v1/apps/myapp/routes?image=none", "", 200, `{"message":"Sucessfully listed routes","routes":[]}`},
		{"GET", "/v1/apps/myapp/routes?image=iron/hello", "", 200, `{"message":"Sucessfully listed routes","routes":[` + helloRoute + `]}`},
	})
}

func TestRoutePatchSemantics(t *testing.T) {
	s := newServer(t)
	replay(t, s, []step{
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/p","image":"i","config":{"keep":"1","drop":"2"},"jwt_key":"s3cret"}}`, 200, ``},
		{"PATCH", "/v1/apps/myapp/routes/p", `{"route":{"headers":{"X-A":["1"]}}}`, 200, ``},
		{"PATCH", "/v1/apps/myapp/routes/p", `{"route":{"headers":{"x-a":["2"]},"memory":0,"timeout":0,"config":{"drop":"","new":"3"}}}`, 200,
			`{"message":"Route successfully updated","route":{"app_name":"myapp","path":"/p","image":"i","memory":128,` +
				`"headers":{"X-A":["1","2"]},"type":"sync","format":"default","max_concurrency":1,"timeout":30,"idle_timeout":0,` +
				`"config":{"keep":"1","new":"3"},"jwt_key":"s3cret"}}`},
		{"PATCH", "/v1/apps/myapp/routes/p", `{"route":{"headers":{"X-A":[]}}}`, 200, ``},
	})
	if h := s.RouteHeaders("myapp", "/p"); len(h) != 0 {
		t.Errorf("headers after deleting X-A = %v, want none", h)
	}
}

func TestPanicsResetTheConnection(t *testing.T) {
	s := newServer(t)
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/v1/routes", ""},
		{"POST", "/v1/apps/myapp/routes", `{"route":{"path":"/%zz","image":"i"}}`},
	} {
		r, _ := http.NewRequest(req.method, s.URL()+req.path, strings.NewReader(req.body))
		resp, err := http.DefaultClient.Do(r)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s %s: got HTTP %d, want a reset connection", req.method, req.path, resp.StatusCode)
		}
	}
}

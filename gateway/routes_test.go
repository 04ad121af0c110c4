package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRouteLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		app := h.createApp(projA, "member-a", "svc")
		route := h.createRoute(projA, "member-a", "svc", map[string]any{
			"path": "/a/b/c", "image": "iron/hello", "type": "async", "is_public": "true",
			"memory": 256, "timeout": 10, "max_concurrency": 2, "format": "default",
			"config": map[string]string{"K": "v"}, "headers": map[string][]string{"X-A": {"1"}},
		})
		if route.Path != "/a/b/c" || route.Type != "async" || route.Image != "iron/hello" || !route.IsPublic ||
			route.Memory != 256 || route.Timeout != 10 || route.MaxConcurrency != 2 || route.Format != "default" {
			t.Errorf("route = %+v", route)
		}
		wantPublic := h.url + "/r/" + app.BackendName + "/a/b/c"
		if route.PublicURL == nil || *route.PublicURL != wantPublic || route.PrivateURL != h.url+"/r/"+projA+"/svc/a/b/c" {
			t.Errorf("urls = %v, %v", route.PublicURL, route.PrivateURL)
		}

		h.createRoute(projA, "member-a", "svc", map[string]any{"path": "/other", "image": "iron/x"})
		routes := h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes", "reader-a", nil).expect(t, 200).decode(t)
		if n := len(routes.Routes); n != 2 || routes.Message != "Successfully loaded app routes" {
			t.Errorf("list = %v", routes)
		}

		updated := h.do(t, "PUT", "/v1/"+projA+"/apps/svc/routes/a/b/c", "member-a", map[string]any{
			"is_public": false, "image": "iron/v2", "config": map[string]string{"K": "", "N": "1"},
		}).expect(t, 200).decode(t).route(t)
		if updated.IsPublic != false || updated.Image != "iron/v2" || updated.PublicURL != nil {
			t.Errorf("updated = %v", updated)
		}
		if _, kept := updated.Config["K"]; kept || updated.Config["N"] != "1" {
			t.Errorf("config = %v", updated.Config)
		}
		shown := h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/a/b/c", "reader-a", nil).expect(t, 200).decode(t)
		if shown.route(t).Image != "iron/v2" || shown.Message != "App route successfully loaded" {
			t.Errorf("show = %+v", shown)
		}

		h.do(t, "DELETE", "/v1/"+projA+"/apps/svc/routes/a/b/c", "member-a", nil).expect(t, 200)
		h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/a/b/c", "reader-a", nil).expect(t, 404)
		// Only that route went (the original deleted every route of the app).
		h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/other", "reader-a", nil).expect(t, 200)
	})
}

func TestRouteRequestsAreValidated(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "svc")
	h.createRoute(projA, "member-a", "svc", map[string]any{"path": "/taken", "image": "iron/x"})
	create := func(route string) *response {
		return h.do(t, "POST", "/v1/"+projA+"/apps/svc/routes", "member-a", `{"route":`+route+`}`, "Content-Type", "application/json")
	}
	cases := []struct {
		name, route string
		status      int
		message     string
	}{
		{"missing path", `{"image":"x"}`, 400, `"route.path"`},
		{"missing image", `{"path":"/x"}`, 400, `"route.image"`},
		{"relative path", `{"path":"x","image":"i"}`, 400, "path"},
		{"dot segment", `{"path":"/a/../b","image":"i"}`, 400, "path"},
		{"empty segment", `{"path":"/a//b","image":"i"}`, 400, "path"},
		{"percent", `{"path":"/%zz","image":"i"}`, 400, "path"},
		{"sql in path", `{"path":"/x' OR '1'='1","image":"i"}`, 400, "path"},
		{"bad type", `{"path":"/x","image":"i","type":"cron"}`, 400, "type"},
		{"bad format", `{"path":"/x","image":"i","format":"json"}`, 400, "format"},
		{"negative memory", `{"path":"/x","image":"i","memory":-1}`, 400, "memory"},
		{"huge timeout", `{"path":"/x","image":"i","timeout":100000}`, 400, "timeout"},
		{"string concurrency", `{"path":"/x","image":"i","max_concurrency":"1"}`, 400, "max_concurrency"},
		{"is_public yes", `{"path":"/x","image":"i","is_public":"yes"}`, 400, "is_public"},
		{"unknown field", `{"path":"/x","image":"i","jwt_key":"k"}`, 400, `unknown field "route.jwt_key"`},
		{"bad config key", `{"path":"/x","image":"i","config":{"a b":"c"}}`, 400, "config key"},
		{"duplicate", `{"path":"/taken","image":"i"}`, 409, "already exists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := create(c.route).expect(t, c.status)
			if msg := resp.ErrorMessage(t); !strings.Contains(msg, c.message) {
				t.Errorf("message %q does not mention %q", msg, c.message)
			}
		})
	}
	h.do(t, "PUT", "/v1/"+projA+"/apps/svc/routes/taken", "member-a", map[string]any{"path": "/moved"}).expect(t, 400)
	h.do(t, "PUT", "/v1/"+projA+"/apps/svc/routes/taken", "member-a", map[string]any{"memory": 0}).expect(t, 400)
	h.do(t, "POST", "/v1/"+projA+"/apps/nope/routes", "member-a", map[string]any{"route": map[string]any{"path": "/x", "image": "i"}}).expect(t, 404)
	if n := len(h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes", "reader-a", nil).expect(t, 200).decode(t).Routes); n != 1 {
		t.Errorf("%d routes after rejected requests, want 1", n)
	}
}

// TestPythonClientSequence replays what `openstack fn apps ...` and
// `openstack fn routes ...` send (docs/picasso-v1.md, "What the client sends") and reads the
// responses the way the client does.
func TestPythonClientSequence(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	jsonHeader := []string{"Content-Type", "application/json", "User-Agent", "python-picassoclient"}
	p := "/v1/" + projA

	app := h.do(t, "POST", p+"/apps", "member-a", `{"app": {"name": "alarm-notifier-app", "config": {}}}`, jsonHeader...).expect(t, 200).fields(t, "app")
	for _, k := range []string{"name", "config", "description"} {
		if _, ok := app[k]; !ok {
			t.Errorf("apps create: no %q column", k)
		}
	}
	var list struct {
		Apps []map[string]json.RawMessage `json:"apps"`
	}
	if err := json.Unmarshal(h.do(t, "GET", p+"/apps", "member-a", nil).expect(t, 200).Body, &list); err != nil {
		t.Fatal(err)
	}
	for _, a := range list.Apps {
		for _, k := range []string{"name", "config", "description"} {
			if _, ok := a[k]; !ok {
				t.Errorf("apps list: no %q column", k)
			}
		}
	}
	h.do(t, "GET", p+"/apps/alarm-notifier-app", "member-a", nil).expect(t, 200).JSON(t)
	h.do(t, "PUT", p+"/apps/alarm-notifier-app", "member-a", `{"config": {"K": "V"}}`, jsonHeader...).expect(t, 200).JSON(t)

	route := h.do(t, "POST", p+"/apps/alarm-notifier-app/routes", "member-a",
		`{"route": {"type": "async", "path": "/hello", "image": "iron/hello", "memory": 128, "timeout": 30, "max_concurrency": 1, "is_public": "true", "config": {}}}`,
		jsonHeader...).expect(t, 200).fields(t, "route")
	for _, k := range []string{"type", "path", "image", "memory", "timeout", "max_concurrency", "is_public", "config"} {
		if _, ok := route[k]; !ok {
			t.Errorf("routes create: no %q column", k)
		}
	}
	h.do(t, "GET", p+"/apps/alarm-notifier-app/routes", "member-a", nil).expect(t, 200).JSON(t)
	shown := h.do(t, "GET", p+"/apps/alarm-notifier-app/routes/hello", "member-a", nil).expect(t, 200).decode(t).route(t)
	// expose-url: the client prints endpoint + /r/{app}{path} for public routes.
	if shown.PublicURL == nil || !strings.HasSuffix(*shown.PublicURL, "/hello") {
		t.Errorf("public_url = %v", shown.PublicURL)
	}
	h.do(t, "PUT", p+"/apps/alarm-notifier-app/routes/hello", "member-a", `{"image": "iron/hello:2", "memory": 256}`, jsonHeader...).expect(t, 200).JSON(t)
	h.do(t, "PUT", p+"/apps/alarm-notifier-app/routes/hello", "member-a", `{}`, jsonHeader...).expect(t, 200).JSON(t)
	h.do(t, "DELETE", p+"/apps/alarm-notifier-app/routes/hello", "member-a", nil).expect(t, 200).JSON(t)
	h.do(t, "DELETE", p+"/apps/alarm-notifier-app", "member-a", nil).expect(t, 200).JSON(t)
}

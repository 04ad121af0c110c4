package gateway_test

import (
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
		for field, want := range map[string]any{"path": "/a/b/c", "type": "async", "image": "iron/hello", "is_public": true,
			"memory": 256.0, "timeout": 10.0, "max_concurrency": 2.0, "format": "default"} {
			if route[field] != want {
				t.Errorf("route %s = %v, want %v", field, route[field], want)
			}
		}
		wantPublic := h.url + "/r/" + app["backend_name"].(string) + "/a/b/c"
		if route["public_url"] != wantPublic || route["private_url"] != h.url+"/r/"+projA+"/svc/a/b/c" {
			t.Errorf("urls = %v, %v", route["public_url"], route["private_url"])
		}

		h.createRoute(projA, "member-a", "svc", map[string]any{"path": "/other", "image": "iron/x"})
		routes := h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes", "reader-a", nil).expect(t, 200).JSON(t)
		if n := len(routes["routes"].([]any)); n != 2 || routes["message"] != "Successfully loaded app routes" {
			t.Errorf("list = %v", routes)
		}

		updated := h.do(t, "PUT", "/v1/"+projA+"/apps/svc/routes/a/b/c", "member-a", map[string]any{
			"is_public": false, "image": "iron/v2", "config": map[string]string{"K": "", "N": "1"},
		}).expect(t, 200).JSON(t)["route"].(map[string]any)
		if updated["is_public"] != false || updated["image"] != "iron/v2" || updated["public_url"] != nil {
			t.Errorf("updated = %v", updated)
		}
		if cfg := updated["config"].(map[string]any); cfg["K"] != nil || cfg["N"] != "1" {
			t.Errorf("config = %v", cfg)
		}
		shown := h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes/a/b/c", "reader-a", nil).expect(t, 200).JSON(t)
		if shown["route"].(map[string]any)["image"] != "iron/v2" || shown["message"] != "App route successfully loaded" {
			t.Errorf("show = %v", shown)
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
	if n := len(h.do(t, "GET", "/v1/"+projA+"/apps/svc/routes", "reader-a", nil).expect(t, 200).JSON(t)["routes"].([]any)); n != 1 {
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

	app := h.do(t, "POST", p+"/apps", "member-a", `{"app": {"name": "alarm-notifier-app", "config": {}}}`, jsonHeader...).expect(t, 200).JSON(t)["app"].(map[string]any)
	for _, k := range []string{"name", "config", "description"} {
		if _, ok := app[k]; !ok {
			t.Errorf("apps create: no %q column", k)
		}
	}
	for _, a := range h.do(t, "GET", p+"/apps", "member-a", nil).expect(t, 200).JSON(t)["apps"].([]any) {
		for _, k := range []string{"name", "config", "description"} {
			if _, ok := a.(map[string]any)[k]; !ok {
				t.Errorf("apps list: no %q column", k)
			}
		}
	}
	h.do(t, "GET", p+"/apps/alarm-notifier-app", "member-a", nil).expect(t, 200).JSON(t)
	h.do(t, "PUT", p+"/apps/alarm-notifier-app", "member-a", `{"config": {"K": "V"}}`, jsonHeader...).expect(t, 200).JSON(t)

	route := h.do(t, "POST", p+"/apps/alarm-notifier-app/routes", "member-a",
		`{"route": {"type": "async", "path": "/hello", "image": "iron/hello", "memory": 128, "timeout": 30, "max_concurrency": 1, "is_public": "true", "config": {}}}`,
		jsonHeader...).expect(t, 200).JSON(t)["route"].(map[string]any)
	for _, k := range []string{"type", "path", "image", "memory", "timeout", "max_concurrency", "is_public", "config"} {
		if _, ok := route[k]; !ok {
			t.Errorf("routes create: no %q column", k)
		}
	}
	h.do(t, "GET", p+"/apps/alarm-notifier-app/routes", "member-a", nil).expect(t, 200).JSON(t)
	shown := h.do(t, "GET", p+"/apps/alarm-notifier-app/routes/hello", "member-a", nil).expect(t, 200).JSON(t)["route"].(map[string]any)
	// expose-url: the client prints endpoint + /r/{app}{path} for public routes.
	if !strings.HasSuffix(shown["public_url"].(string), "/hello") {
		t.Errorf("public_url = %v", shown["public_url"])
	}
	h.do(t, "PUT", p+"/apps/alarm-notifier-app/routes/hello", "member-a", `{"image": "iron/hello:2", "memory": 256}`, jsonHeader...).expect(t, 200).JSON(t)
	h.do(t, "PUT", p+"/apps/alarm-notifier-app/routes/hello", "member-a", `{}`, jsonHeader...).expect(t, 200).JSON(t)
	h.do(t, "DELETE", p+"/apps/alarm-notifier-app/routes/hello", "member-a", nil).expect(t, 200).JSON(t)
	h.do(t, "DELETE", p+"/apps/alarm-notifier-app", "member-a", nil).expect(t, 200).JSON(t)
}

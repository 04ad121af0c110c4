package gateway_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestAppLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		body := map[string]any{"app": map[string]any{"name": "orders", "description": "Order hooks", "config": map[string]string{"DB": "h1", "K": "v"}}}
		resp := h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", body).expect(t, 200)
		created := resp.decode(t)
		if created.Message != "App successfully created" {
			t.Errorf("message = %v", created.Message)
		}
		fields := resp.fields(t, "app")
		for _, field := range []string{"id", "name", "backend_name", "project_id", "description", "config", "created_at", "updated_at"} {
			if _, ok := fields[field]; !ok {
				t.Errorf("app view lacks %q: %s", field, resp.Body)
			}
		}
		app := created.app(t)
		if app.Name != "orders" || app.ProjectID != projA || app.Description != "Order hooks" {
			t.Errorf("app view = %+v", app)
		}
		backendName := app.BackendName
		if !h.fake.HasApp(backendName) {
			t.Fatalf("backend has no app %s", backendName)
		}

		got := h.do(t, "GET", "/v1/"+projA+"/apps/orders", "reader-a", nil).expect(t, 200).decode(t)
		if got.app(t).ID != app.ID || got.Message != "Successfully loaded app" {
			t.Errorf("show = %+v", got)
		}

		update := map[string]any{"description": "new", "config": map[string]string{"DB": "", "NEW": "x"}}
		updated := h.do(t, "PUT", "/v1/"+projA+"/apps/orders", "member-a", update).expect(t, 200).decode(t).app(t)
		_, kept := updated.Config["DB"]
		if updated.Description != "new" || updated.Config["NEW"] != "x" || updated.Config["K"] != "v" || kept {
			t.Errorf("updated app = %v", updated)
		}

		list := h.do(t, "GET", "/v1/"+projA+"/apps", "reader-a", nil).expect(t, 200).decode(t)
		if len(list.Apps) != 1 || list.Message != "Successfully listed applications" {
			t.Errorf("list = %+v", list)
		}

		deleted := h.do(t, "DELETE", "/v1/"+projA+"/apps/orders", "member-a", nil).expect(t, 200).decode(t)
		if deleted.Message != "App successfully deleted" {
			t.Errorf("delete = %+v", deleted)
		}
		if h.fake.HasApp(backendName) {
			t.Errorf("backend app %s survived the delete", backendName)
		}
		h.do(t, "GET", "/v1/"+projA+"/apps/orders", "reader-a", nil).expect(t, 404)
	})
}

func TestCreateAppRejectsBadInput(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "taken")
	cases := []struct {
		name, body, contentType string
		status                  int
		message                 string
	}{
		{"missing name", `{"app":{}}`, "application/json", 400, `missing required field "app.name"`},
		{"missing app", `{}`, "application/json", 400, `missing required field "app"`},
		{"unknown field", `{"app":{"name":"x","colour":"red"}}`, "application/json", 400, `unknown field "app.colour"`},
		{"wrong type", `{"app":{"name":7}}`, "application/json", 400, `"app.name"`},
		{"too long", `{"app":{"name":"` + strings.Repeat("a", 65) + `"}}`, "application/json", 400, "64"},
		{"bad character", `{"app":{"name":"a.b"}}`, "application/json", 400, "app.name"},
		{"malformed JSON", `{"app":`, "application/json", 400, "Invalid JSON"},
		{"trailing data", `{"app":{"name":"x"}} {}`, "application/json", 400, "trailing data"},
		{"empty body", ``, "application/json", 400, "Missing request body"},
		{"array", `[]`, "application/json", 400, "JSON object"},
		{"text body", `{"app":{"name":"x"}}`, "text/plain", 415, "application/json"},
		{"no content type", `{"app":{"name":"x"}}`, "", 415, "application/json"},
		{"duplicate", `{"app":{"name":"taken"}}`, "application/json; charset=utf-8", 409, "already exists"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var headers []string
			if c.contentType != "" {
				headers = []string{"Content-Type", c.contentType}
			}
			resp := h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", c.body, headers...)
			resp.expect(t, c.status)
			if msg := resp.ErrorMessage(t); !strings.Contains(msg, c.message) {
				t.Errorf("message %q does not mention %q", msg, c.message)
			}
		})
	}
	list := h.do(t, "GET", "/v1/"+projA+"/apps", "reader-a", nil).expect(t, 200).decode(t)
	if n := len(list.Apps); n != 1 {
		t.Errorf("%d apps after the rejected requests, want 1", n)
	}
}

func TestSameLongNameInTwoProjects(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		name := "list_routes_from_existing_app" // 29 characters, collided in the original
		a := h.createApp(projA, "member-a", name)
		b := h.createApp(projB, "member-b", name)
		if a.BackendName == b.BackendName {
			t.Fatalf("both projects got backend app %v", a.BackendName)
		}
		h.createRoute(projA, "member-a", name, map[string]any{"path": "/x", "image": "iron/a", "is_public": true})
		h.createRoute(projB, "member-b", name, map[string]any{"path": "/x", "image": "iron/b", "is_public": true})
		h.do(t, "PUT", "/v1/"+projB+"/apps/"+name+"/routes/x", "member-b", map[string]any{"image": "iron/b2"}).expect(t, 200)

		ra := h.do(t, "GET", "/v1/"+projA+"/apps/"+name+"/routes/x", "reader-a", nil).expect(t, 200).decode(t).route(t)
		if ra.Image != "iron/a" {
			t.Errorf("project B's update reached project A's route: %v", ra)
		}
		h.do(t, "DELETE", "/v1/"+projB+"/apps/"+name+"/routes/x", "member-b", nil).expect(t, 200)
		h.do(t, "DELETE", "/v1/"+projB+"/apps/"+name, "member-b", nil).expect(t, 200)
		h.do(t, "GET", "/v1/"+projA+"/apps/"+name, "reader-a", nil).expect(t, 200)
		if !h.fake.HasApp(a.BackendName) {
			t.Error("project A's backend app disappeared with project B's")
		}
	})
}

func TestAnotherProjectsAppIsNotFound(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "secret")
	missing := h.do(t, "GET", "/v1/"+projB+"/apps/nothing", "member-b", nil).expect(t, 404)
	other := h.do(t, "GET", "/v1/"+projB+"/apps/secret", "member-b", nil).expect(t, 404)
	if missing.ErrorMessage(t) != strings.Replace(other.ErrorMessage(t), "secret", "nothing", 1) {
		t.Errorf("messages differ: %q vs %q", missing.ErrorMessage(t), other.ErrorMessage(t))
	}
	if apps := h.do(t, "GET", "/v1/"+projB+"/apps", "member-b", nil).expect(t, 200).decode(t).Apps; len(apps) != 0 {
		t.Errorf("project B lists %v", apps)
	}
}

func TestAppListPages(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		for i := range 5 {
			h.createApp(projA, "member-a", fmt.Sprintf("app%d", i))
		}
		var names []string
		marker := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			list := h.do(t, "GET", "/v1/"+projA+"/apps?limit=2&marker="+marker, "reader-a", nil).expect(t, 200).decode(t)
			for _, a := range list.Apps {
				names = append(names, a.Name)
			}
			next := list.NextMarker
			if next == "" {
				break
			}
			marker = next
		}
		if strings.Join(names, ",") != "app0,app1,app2,app3,app4" {
			t.Errorf("pages gave %v", names)
		}
		h.do(t, "GET", "/v1/"+projA+"/apps?limit=0", "reader-a", nil).expect(t, 400)
		h.do(t, "GET", "/v1/"+projA+"/apps?limit=abc", "reader-a", nil).expect(t, 400)
	})
}

func TestDeleteAppWithRoutesIsRefused(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	app := h.createApp(projA, "member-a", "busy")
	h.createRoute(projA, "member-a", "busy", map[string]any{"path": "/r", "image": "iron/x"})
	msg := h.do(t, "DELETE", "/v1/"+projA+"/apps/busy", "member-a", nil).expect(t, 409).ErrorMessage(t)
	if !strings.Contains(msg, "routes") {
		t.Errorf("message %q does not explain the refusal", msg)
	}
	if !h.fake.HasApp(app.BackendName) {
		t.Error("backend app deleted although the delete was refused")
	}
}

func TestBackendFailureLeavesNothingHalfCreated(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.fake.FailNext(1, 500)
	h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", map[string]any{"app": map[string]any{"name": "half"}}).expect(t, 502)
	h.do(t, "GET", "/v1/"+projA+"/apps/half", "reader-a", nil).expect(t, 404)

	app := h.createApp(projA, "member-a", "half")
	h.fake.SetDown(true)
	h.do(t, "POST", "/v1/"+projA+"/apps/half/routes", "member-a", map[string]any{"route": map[string]any{"path": "/r", "image": "iron/x"}}).expect(t, 502)
	h.fake.SetDown(false)
	h.do(t, "GET", "/v1/"+projA+"/apps/half/routes/r", "reader-a", nil).expect(t, 404)
	if routes := h.fake.RouteHeaders(app.BackendName, "/r"); routes != nil {
		t.Errorf("backend kept a route: %v", routes)
	}
	// Once the backend is back, the same requests succeed.
	h.createRoute(projA, "member-a", "half", map[string]any{"path": "/r", "image": "iron/x"})
}

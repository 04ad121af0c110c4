package gateway_test

import (
	"strings"
	"testing"
)

// HEAD works wherever GET does, OPTIONS answers 204 with Allow on every
// known path, an unserved method answers 405 with the same Allow, and
// function URLs pass the standard methods on but refuse TRACE and
// invented ones.
func TestMethodsAnswerConsistently(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	backendName := publicAndPrivate(h)
	apps := "/v1/" + projA + "/apps"
	route := apps + "/fns/routes/priv/x"
	public := "/r/" + backendName + "/pub"
	private := "/r/" + projA + "/fns/priv/x"
	const (
		readOnly = "GET, HEAD, OPTIONS"
		fnAllow  = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	)
	cases := []struct {
		method, path, token string
		status              int
		allow               string
	}{
		{"HEAD", "/", "", 200, ""},
		{"HEAD", "/healthz", "", 200, ""},
		{"HEAD", "/readyz", "", 200, ""},
		{"HEAD", "/metrics", "", 200, ""},
		{"HEAD", "/api", "", 200, ""},
		{"HEAD", "/api/swagger.json", "", 200, ""},
		{"HEAD", apps, "member-a", 200, ""},
		{"HEAD", apps, "", 401, ""},
		{"HEAD", apps + "/fns", "member-a", 200, ""},
		{"HEAD", route, "member-a", 200, ""},
		{"HEAD", route + "/webhooks", "member-a", 200, ""},
		{"OPTIONS", "/", "", 204, readOnly},
		{"OPTIONS", "/healthz", "", 204, readOnly},
		{"OPTIONS", apps, "", 204, "GET, HEAD, POST, OPTIONS"},
		{"OPTIONS", apps + "/fns", "", 204, "GET, HEAD, PUT, DELETE, OPTIONS"},
		{"OPTIONS", route, "", 204, "GET, HEAD, PUT, DELETE, OPTIONS"},
		// PUT and DELETE reach the route pattern ({route:.+} takes
		// "priv/x/webhooks", a path no route can have: 404).
		{"OPTIONS", route + "/webhooks", "", 204, "GET, HEAD, POST, PUT, DELETE, OPTIONS"},
		{"OPTIONS", "/v1/r/" + projA + "/fns/priv/x", "", 204, "POST, OPTIONS"},
		{"OPTIONS", "/webhooks/" + strings.Repeat("A", 43), "", 204, "POST, OPTIONS"},
		{"DELETE", "/healthz", "", 405, readOnly},
		{"POST", "/", "", 405, readOnly},
		{"PATCH", apps, "member-a", 405, "GET, HEAD, POST, OPTIONS"},
		{"PATCH", route, "member-a", 405, "GET, HEAD, PUT, DELETE, OPTIONS"},
		{"GET", "/webhooks/" + strings.Repeat("A", 43), "", 405, "POST, OPTIONS"},
		{"GET", "/v1/r/" + projA + "/fns/priv/x", "member-a", 405, "POST, OPTIONS"},
		{"TRACE", public, "", 405, fnAllow},
		{"TRACE", private, "member-a", 405, fnAllow},
		{"CONNECT", public, "", 405, fnAllow},
		{"BREW", public, "", 405, fnAllow},
		{"BREW", apps, "member-a", 405, "GET, HEAD, POST, OPTIONS"},
		{"HEAD", public, "", 200, ""},
		{"OPTIONS", public, "", 200, ""}, // the function's own answer
		{"HEAD", private, "member-a", 200, ""},
		{"OPTIONS", "/nowhere", "", 404, ""},
	}
	for _, c := range cases {
		resp := h.do(t, c.method, c.path, c.token, "")
		if resp.Status != c.status || resp.Header.Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", c.method, c.path, resp.Status, resp.Header.Get("Allow"), c.status, c.allow)
		}
		if c.method == "HEAD" && len(resp.Body) != 0 {
			t.Errorf("HEAD %s answered a body", c.path)
		}
	}
}

package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// onHost sends method path to the harness with the Host header host.
func (h *harness) onHost(t *testing.T, host, method, path, token string) *response {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// With a function origin, function URLs answer only on its host and the
// API and UI only elsewhere; the URLs shown to users point at it.
func TestFunctionOriginIsSeparate(t *testing.T) {
	const fnHost = "fn.picasso.test"
	h := newHarness(t, sqliteURI(t), func(c *gateway.Config, _ *gateway.Deps) { c.FunctionURL = "https://" + fnHost })
	apiHost := strings.TrimPrefix(h.url, "http://")
	h.createApp(projA, "member-a", "fns")
	route := h.createRoute(projA, "member-a", "fns", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true})
	publicURL := ""
	if route.PublicURL != nil {
		publicURL = *route.PublicURL
	}
	if !strings.HasPrefix(publicURL, "https://"+fnHost+"/r/") || !strings.HasPrefix(route.PrivateURL, "https://"+fnHost+"/r/") {
		t.Fatalf("function URLs do not point at the function origin: %v %v", publicURL, route.PrivateURL)
	}
	hookURL := h.do(t, "POST", "/v1/"+projA+"/apps/fns/routes/pub/webhooks", "member-a", nil).expect(t, 200).decode(t).webhook(t).URL
	if !strings.HasPrefix(hookURL, "https://"+fnHost+"/webhooks/") {
		t.Fatalf("webhook URL %q is not on the function origin", hookURL)
	}
	publicPath := strings.TrimPrefix(publicURL, "https://"+fnHost)
	hookPath := strings.TrimPrefix(hookURL, "https://"+fnHost)

	cases := []struct {
		host, method, path, token string
		status                    int
	}{
		{fnHost, "POST", publicPath, "", 200},
		{fnHost + ":443", "POST", publicPath, "", 200},
		{"FN.Picasso.Test", "POST", hookPath, "", 200},
		{fnHost, "POST", "/r/" + projA + "/fns/pub", "member-a", 200},
		{fnHost, "GET", "/healthz", "", 200},
		{fnHost, "GET", "/v1/" + projA + "/apps", "member-a", 404},
		{fnHost, "GET", "/api", "", 404},
		{fnHost, "GET", "/api/swagger.json", "", 404},
		{fnHost, "GET", "/", "", 404},
		{apiHost, "POST", publicPath, "", 404},
		{apiHost, "POST", hookPath, "", 404},
		{apiHost, "POST", "/r/" + projA + "/fns/pub", "member-a", 404},
		{apiHost, "GET", "/v1/" + projA + "/apps", "member-a", 200},
		{apiHost, "GET", "/api", "", 200},
		{apiHost, "GET", "/healthz", "", 200},
	}
	for _, c := range cases {
		if got := h.onHost(t, c.host, c.method, c.path, c.token); got.Status != c.status {
			t.Errorf("%s %s on %s: %d, want %d: %.200s", c.method, c.path, c.host, got.Status, c.status, got.Body)
		}
	}
}

// Every API and UI response carries the security headers, errors and the
// UI's assets included; a function's answer keeps its own headers but
// cannot replace the gateway's request id.
func TestSecurityHeaders(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "fns")
	h.createRoute(projA, "member-a", "fns", map[string]any{"path": "/pub", "image": "iron/echo", "is_public": true,
		"headers": map[string][]string{"X-Openstack-Request-Id": {"req-00000000-0000-0000-0000-000000000000"}, "Cache-Control": {"max-age=60"}}})
	for _, c := range []struct{ method, path, token string }{
		{"GET", "/", ""}, {"GET", "/healthz", ""}, {"GET", "/readyz", ""}, {"GET", "/metrics", ""},
		{"GET", "/v1/" + projA + "/apps", "member-a"}, {"GET", "/v1/" + projA + "/apps", ""},
		{"GET", "/v1/" + projA + "/apps/nope", "member-a"}, {"DELETE", "/healthz", ""}, {"GET", "/nowhere", ""},
		{"GET", "/api", ""}, {"GET", "/api/", ""}, {"GET", "/api/swagger.json", ""}, {"GET", "/openapi.json", ""},
		{"GET", "/api/swagger-ui-bundle.js", ""},
	} {
		resp := h.do(t, c.method, c.path, c.token, nil)
		hdr := resp.Header
		csp := hdr.Get("Content-Security-Policy")
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("X-Frame-Options") != "DENY" ||
			hdr.Get("Cache-Control") != "no-store" || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s (%d): security headers missing: %v", c.method, c.path, resp.Status, hdr)
		}
	}
	sent := gateway.NewRequestID()
	resp := h.do(t, "POST", "/r/"+h.backendName(t, "fns")+"/pub", "", "x", picasso.RequestIDHeader, sent).expect(t, 200)
	if got := resp.Header.Values(picasso.RequestIDHeader); len(got) != 1 || got[0] != sent {
		t.Errorf("the route's header replaced the request id: %q, sent %q", got, sent)
	}
	if resp.Header.Get("Cache-Control") != "max-age=60" {
		t.Errorf("a function's own headers were replaced: %v", resp.Header)
	}
}

func (h *harness) backendName(t *testing.T, app string) string {
	t.Helper()
	return h.do(t, "GET", "/v1/"+projA+"/apps/"+app, "member-a", nil).expect(t, 200).decode(t).app(t).BackendName
}

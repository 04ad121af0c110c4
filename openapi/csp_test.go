package openapi

import (
	"net/http"
	"strings"
	"testing"
)

// The policy must allow every inline script and style of the page as it
// is served, whatever the request's host, and nothing from elsewhere.
func TestUIPolicyCoversThePage(t *testing.T) {
	policy := UIContentSecurityPolicy()
	for _, host := range []string{"localhost:8080", "picasso.example.com"} {
		var page pageRecorder
		req, _ := http.NewRequest(http.MethodGet, "http://"+host+UIPath, nil)
		UIHandler("/api/swagger.json").ServeHTTP(&page, req)
		html := page.body.String()
		if !strings.Contains(html, "swagger-ui-bundle.js") {
			t.Fatalf("not the UI page: %.200s", html)
		}
		scripts := inlineScript.FindAllStringSubmatch(html, -1)
		if len(scripts) == 0 || strings.Count(html, "<script") != len(scripts)+2 {
			t.Fatalf("the page's scripts are not the expected inline ones plus two bundles")
		}
		if hashes := inlineHashes(inlineScript, html) + inlineHashes(inlineStyle, html); !strings.Contains(policy, strings.TrimSpace(inlineHashes(inlineScript, html))) || !strings.Contains(policy, strings.TrimSpace(inlineHashes(inlineStyle, html))) {
			t.Fatalf("policy %q lacks the page's hashes %s", policy, hashes)
		}
	}
	if strings.Contains(policy, "unsafe") || strings.Contains(policy, "http") {
		t.Errorf("policy allows more than this origin's own content: %q", policy)
	}
}

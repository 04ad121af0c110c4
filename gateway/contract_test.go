package gateway

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso/openapi"
)

// allMethods are what an unrestricted route (the /r/ proxy) accepts, as
// far as the document describes it.
var allMethods = []string{"DELETE", "GET", "PATCH", "POST", "PUT"}

// TestRouterMatchesDocument walks every route of the router and fails when
// one is missing from the OpenAPI document, or the document has an
// operation the router does not serve.
func TestRouterMatchesDocument(t *testing.T) {
	s := NewServer(Config{}, Deps{})
	served := map[string]bool{}
	regexpPart := regexp.MustCompile(`:[^}]+`)
	err := s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		template, err := route.GetPathTemplate()
		if err != nil || route.GetHandler() == nil {
			return nil
		}
		template = regexpPart.ReplaceAllString(template, "")
		if strings.HasPrefix(template, "/api/") && template != "/api/swagger.json" {
			return nil // the Swagger UI's assets, documented as the page at /api
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = allMethods
		}
		for _, m := range methods {
			if m == "HEAD" || m == "OPTIONS" {
				continue // implied by GET, and answered for every path (methods.go)
			}
			if template == routeName(invokeTemplate) { // both /r/ forms, each its own path in the document
				served[m+" /r/{project_id}/{app}/{route}"] = true
				served[m+" /r/{app}/{route}"] = true
				continue
			}
			served[m+" "+template] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, op := range openapi.Paths() {
		documented[op.Method+" "+op.Path] = true
	}
	for _, op := range sortedKeys(served) {
		if !documented[op] {
			t.Errorf("served but not documented: %s", op)
		}
	}
	for _, op := range sortedKeys(documented) {
		if !served[op] {
			t.Errorf("documented but not served: %s", op)
		}
	}
	if len(served) < 20 {
		t.Fatalf("walked only %d operations: the walk is broken", len(served))
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

package gateway

import (
	"net/http/httptest"
	"testing"

	"github.com/gorilla/mux"
)

// TestInvokePathAgreesWithTheRouter holds invokePath to the router's own
// expression for invokeTemplate, on every path of up to seven characters
// after "/r" drawn from the characters that decide a match, plus a few
// longer ones.
func TestInvokePathAgreesWithTheRouter(t *testing.T) {
	s := NewServer(Config{}, Deps{})
	route := s.router.Get(routeName(invokeTemplate))
	if route == nil {
		t.Fatal("the router has no route named after invokeTemplate")
	}
	paths := []string{"/r/pf0123/hello", "/r/0123abcd/app/route/deeper", "/r/a/b\r", "/r/a/\xff\xfe", "/R/a/b", "/x/r/a/b"}
	alphabet := []string{"/", "a", "\n", "\xff"}
	var grow func(path string, left int)
	grow = func(path string, left int) {
		paths = append(paths, path)
		if left == 0 {
			return
		}
		for _, c := range alphabet {
			grow(path+c, left-1)
		}
	}
	grow("/r", 7)
	for _, path := range paths {
		req := httptest.NewRequest("POST", "/", nil)
		req.URL.Path = path
		var match mux.RouteMatch
		matched := route.Match(req, &match) && match.MatchErr == nil
		first, rest, ok := invokePath(path)
		if ok != matched || ok && (first != match.Vars["first"] || rest != match.Vars["rest"]) {
			t.Errorf("%q: invokePath gives %q, %q, %v; the router %v, %v", path, first, rest, ok, match.Vars, matched)
		}
	}
}

package gateway_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/picasso-faas/picasso/gateway"
)

// TestErrorsGoThroughTheStatusMap drives every route of the router with
// requests that make it fail, after replacing the domain-code → status map
// with statuses nothing else uses (460, 461, ...). An error status outside
// that set was written around the map: by a handler itself.
func TestErrorsGoThroughTheStatusMap(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	f := newWebhookFixture(h)
	signed := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"signed": true}})
	signedToken := strings.TrimPrefix(f.webhookPath(signed), "/webhooks/")
	signedID := signed.ID

	statuses := gateway.StatusMap()
	mapped := map[int]bool{}
	for i, code := range slices.Sorted(maps.Keys(statuses)) {
		statuses[code] = 460 + i
		mapped[460+i] = true
	}
	gateway.ReplaceStatusMap(t, statuses)

	// Values of the path variables: things that exist, then things that do
	// not. A variable of a new route that is missing here gets an id that
	// names nothing.
	existing := map[string]string{
		"project_id": projA, "app": "hooks", "route": "priv/x", "webhook_id": signedID,
		"token": signedToken, "first": projA, "rest": "hooks/priv/x",
	}
	missing := map[string]string{
		"project_id": projA, "app": "nope", "route": "nope", "webhook_id": strings.Repeat("0", 32),
		"token": strings.Repeat("A", 43), "first": "pf" + strings.Repeat("0", 30), "rest": "nope",
	}
	type attempt struct{ token, contentType, body string }
	attempts := []attempt{
		{},                              // no token
		{"member-a", "text/plain", "x"}, // not JSON
		{"member-a", "application/json", `{"bogus": true}`}, // not the schema
		{"reader-a", "application/json", `{}`},              // not allowed to write
		{"member-b", "", ""},                                // another project
	}

	err := h.gateway.Router().Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if route.GetHandler() == nil {
			return nil // a subrouter's prefix
		}
		template, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		methods, err := route.GetMethods()
		if err != nil {
			methods = []string{http.MethodGet, http.MethodPost} // any method
		}
		methods = append(methods, "PATCH") // no route has it: 405 or the handler's own error
		errorsSeen := 0
		for _, values := range []map[string]string{existing, missing} {
			path := fillTemplate(template, values)
			for _, method := range methods {
				for _, a := range attempts {
					var headers []string
					if a.contentType != "" {
						headers = []string{"Content-Type", a.contentType}
					}
					resp := h.do(t, method, path, a.token, jsonBody(a.body), headers...)
					if resp.Status >= 400 && !mapped[resp.Status] {
						t.Errorf("%s %s (token %q, %s body): status %d was written around the status map: %s",
							method, path, a.token, a.contentType, resp.Status, resp.Body)
					}
					if mapped[resp.Status] {
						errorsSeen++
					}
				}
			}
		}
		if errorsSeen == 0 {
			t.Errorf("%s: no request made it fail; extend the attempts", template)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp := h.do(t, "GET", "/no/such/path", "", nil); !mapped[resp.Status] {
		t.Errorf("unknown path: status %d was written around the status map", resp.Status)
	}
}

var templateVariable = regexp.MustCompile(`\{([^}:]+)(:[^}]+)?\}`)

func fillTemplate(template string, values map[string]string) string {
	return templateVariable.ReplaceAllStringFunc(template, func(v string) string {
		name := templateVariable.FindStringSubmatch(v)[1]
		if value, ok := values[name]; ok {
			return value
		}
		return strings.Repeat("0", 32)
	})
}

// TestOnlyTheAdapterWritesErrors reads the package's source: writeError
// is called only by the adapter and the panic guard, and no other code
// builds an error body or writes an error status constant.
func TestOnlyTheAdapterWritesErrors(t *testing.T) {
	allowed := map[string]bool{"handle": true, "recoverPanics": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fn, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					callee := calleeName(n)
					if callee == "writeError" && !allowed[fn.Name.Name] {
						t.Errorf("%s: %s calls writeError; return the error to the adapter instead", fset.Position(n.Pos()), fn.Name.Name)
					}
					if (callee == "WriteHeader" || callee == "writeJSON" || callee == "Error") && writesErrorStatus(n) {
						t.Errorf("%s: %s writes an error status itself; return a domain error instead", fset.Position(n.Pos()), fn.Name.Name)
					}
				case *ast.CompositeLit:
					if id, ok := n.Type.(*ast.Ident); ok && id.Name == "errorBody" && fn.Name.Name != "writeError" {
						t.Errorf("%s: %s builds an error body; return a domain error instead", fset.Position(n.Pos()), fn.Name.Name)
					}
				}
				return true
			})
		}
	}
}

func calleeName(call *ast.CallExpr) string {
	switch fun := call.Fun.(type) {
	case *ast.Ident:
		return fun.Name
	case *ast.SelectorExpr:
		return fun.Sel.Name
	}
	return ""
}

// writesErrorStatus reports whether an argument is a net/http status
// constant of a client or server error.
func writesErrorStatus(call *ast.CallExpr) bool {
	for _, arg := range call.Args {
		sel, ok := arg.(*ast.SelectorExpr)
		if !ok {
			continue
		}
		if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "http" && errorStatusNames[sel.Sel.Name] {
			return true
		}
	}
	return false
}

// errorStatusNames are the names of net/http's 4xx and 5xx constants,
// found by their text.
var errorStatusNames = func() map[string]bool {
	names := map[string]bool{}
	for status := 400; status < 600; status++ {
		if text := http.StatusText(status); text != "" {
			names["Status"+strings.NewReplacer(" ", "", "-", "", "'", "").Replace(text)] = true
		}
	}
	return names
}()

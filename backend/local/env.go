package local

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/picasso-faas/picasso"
)

// basePath is the only variable a function gets that is not about its
// call: the gateway's own environment holds secrets and is never passed.
const basePath = "/usr/local/bin:/usr/bin:/bin"

// functionEnv builds the environment of a call: the app config, then the
// route config (the route wins), then what the runtime sets, which config
// cannot override. A reserved key stored before CheckConfig refused it is
// dropped (see the package documentation).
func (rt *Runtime) functionEnv(call *picasso.Call, callID, requestID string) []string {
	env := map[string]string{}
	for _, config := range []map[string]string{call.App.Config, call.Route.Config} {
		for k, v := range config {
			if name := envName(k); !reservedVar(name) {
				env[name] = v
			}
		}
	}
	for _, name := range headerOrder(call.Header) {
		env["HEADER_"+envName(name)] = strings.Join(call.Header[name], " ")
	}
	env["PATH"] = basePath
	env["METHOD"] = call.Method
	env["ROUTE"] = call.Route.Path
	env["REQUEST_URL"] = rt.requestURL(call)
	env["CALL_ID"] = callID
	if attempt := call.Header.Get(picasso.HeaderCallAttempt); attempt != "" {
		env["CALL_ATTEMPT"] = attempt // a queued call's attempt, for idempotent functions
	}
	env["HEADER_"+envName(picasso.RequestIDHeader)] = requestID

	list := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		// Such a variable cannot be passed (the kernel ends a variable at
		// NUL, its name at "="); dropping it beats failing every call.
		if strings.ContainsAny(k, "=\x00") || strings.ContainsRune(env[k], 0) {
			continue
		}
		list = append(list, k+"="+env[k])
	}
	return list
}

// headerOrder lists the header's names in the order their variables are
// set. Several spellings (X-Roles, X_Roles, x-ROLES) give one variable; the
// canonical one, which is how the gateway spells what it sets, comes last
// and wins, the others in sorted order: the outcome never depends on map
// order.
func headerOrder(h http.Header) []string {
	names := slices.Sorted(maps.Keys(h))
	slices.SortStableFunc(names, func(a, b string) int {
		return cmpBool(isCanonical(a), isCanonical(b))
	})
	return names
}

func isCanonical(name string) bool {
	return !strings.Contains(name, "_") && http.CanonicalHeaderKey(name) == name
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// envName turns a header name or config key into a variable name.
func envName(s string) string {
	return strings.ReplaceAll(strings.ToUpper(s), "-", "_")
}

func (rt *Runtime) requestURL(call *picasso.Call) string {
	u := rt.baseURL + "/r/" + call.App.BackendName + call.Route.Path
	if call.RawQuery != "" {
		u += "?" + call.RawQuery
	}
	return u
}

// routeHeaders returns the route's response headers, first value of each,
// as IronFunctions sets them.
func routeHeaders(route *picasso.Route) http.Header {
	h := make(http.Header, len(route.Headers))
	for name, values := range route.Headers {
		if len(values) > 0 {
			h.Set(name, values[0])
		}
	}
	return h
}

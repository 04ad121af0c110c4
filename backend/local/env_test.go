package local

import (
	"slices"
	"testing"
)

// Several spellings of one header give one variable; the canonical
// spelling, the gateway's, must win every time, whatever the map order.
func TestCanonicalHeaderSpellingWinsTheVariable(t *testing.T) {
	route := newRoute("/env", "echo")
	for range 50 {
		call := postCall(route, "")
		call.Header = map[string][]string{
			"X_roles":  {"admin"},
			"x-ROLES":  {"admin"},
			"X-Roles":  {"member"},
			"X_Roles_": {"other"},
		}
		env := (&Runtime{baseURL: "http://gateway"}).functionEnv(call, "call-1", "req-test")
		if !slices.Contains(env, "HEADER_X_ROLES=member") || slices.Contains(env, "HEADER_X_ROLES=admin") {
			t.Fatalf("HEADER_X_ROLES is not the canonical spelling's value: %q", env)
		}
	}
}

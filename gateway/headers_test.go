package gateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

// TestClientCannotPoseAsAQueuedCall: the execution core's call headers,
// in any spelling, never come from the client.
func TestClientCannotPoseAsAQueuedCall(t *testing.T) {
	r := httptest.NewRequest("POST", "/r/p/a/f", nil)
	for _, name := range []string{"X-Picasso-Call-Attempt", "x_picasso_call_id", "X_PICASSO_CALL_STATUS"} {
		r.Header[name] = []string{"forged"}
	}
	h := forwardHeaders(r, nil, &picasso.Route{})
	for name := range h {
		if strings.HasPrefix(normalizedName(name), "X_PICASSO_CALL_") {
			t.Errorf("forwarded %s: %q", name, h[name])
		}
	}
}

// TestIsReservedFoldsLikeNormalizedName: the stack fold of isReserved
// and the Unicode-aware normalizedName agree on every kind of name.
func TestIsReservedFoldsLikeNormalizedName(t *testing.T) {
	names := []string{"", "X-Auth-Token", "x_auth_token", "X-AUTH-TOKEN", "X-Roles", "x-roles-",
		"X-\u017fubject-Token", // the long s upper-cases to an ASCII S
		"Content-Type", "X-Forwarded-For", "x_forwarded_for", "X-Openstack-Request-Id",
		strings.Repeat("a", 64), strings.Repeat("X-", 40) + "Roles"}
	names = append(names, callerOnly...)
	names = append(names, gatewaySet...)
	for _, name := range names {
		if got, want := isReserved(name), reserved[normalizedName(name)]; got != want {
			t.Errorf("isReserved(%q) = %v, normalizedName says %v", name, got, want)
		}
	}
	for _, name := range append(append([]string(nil), callerOnly...), gatewaySet...) {
		if !isReserved(strings.ToLower(name)) {
			t.Errorf("isReserved(%q) = false for a reserved name", strings.ToLower(name))
		}
	}
}

func TestCleanQuery(t *testing.T) {
	for raw, want := range map[string]string{
		"":                    "",
		"a=1&b=two&a=3":       "a=1&b=two&a=3",
		"q=%20x&p=%zz":        "q=%20x&p=%zz",
		"0 00":                "0%2000",
		"x=\x00\x7f\xff":      "x=%00%7F%FF",
		`k="<v>"|^{}` + "`\\": "k=%22%3Cv%3E%22%7C%5E%7B%7D%60%5C",
		"a=ü":                 "a=%C3%BC",
	} {
		if got := cleanQuery(raw); got != want {
			t.Errorf("cleanQuery(%q) = %q, want %q", raw, got, want)
		}
	}
}

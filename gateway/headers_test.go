package gateway

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
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

// TestForwardHeadersKeepsTheCallersAndSetsPicassosOwn spells out the
// whole header a private call's function receives from one request that
// has a bit of everything.
func TestForwardHeadersKeepsTheCallersAndSetsPicassosOwn(t *testing.T) {
	r := httptest.NewRequest("POST", "/r/p/a/f", nil)
	r.RemoteAddr = "192.0.2.7:4711"
	r.Header = http.Header{
		"Content-Type":          {"application/json"},
		"X-Multi":               {"one", "two"},
		"X-Empty":               {},
		"Connection":            {"keep-alive, x-listed", " X-Also-Listed "},
		"X-Listed":              {"dropped"},
		"X-Also-Listed":         {"dropped"},
		"Keep-Alive":            {"timeout=5"},
		"Te":                    {"trailers"},
		"Upgrade":               {"websocket"},
		"X-Auth-Token":          {"the-token"},
		"x_roles":               {"admin"},
		"X-Project-Id":          {"forged"},
		"X-Forwarded-For":       {"203.0.113.1", "198.51.100.2"},
		picasso.RequestIDHeader: {"req-forged"},
	}
	r = r.WithContext(picasso.WithRequestID(context.Background(), "req-1"))
	id := &picasso.Identity{ProjectID: "p1", UserID: "u1", Roles: []string{"member", "reader"}}

	got := forwardHeaders(r, id, &picasso.Route{ForwardToken: true})
	want := http.Header{
		"Content-Type":          {"application/json"},
		"X-Multi":               {"one", "two"},
		"X-Empty":               {},
		"X-Project-Id":          {"p1"},
		"X-User-Id":             {"u1"},
		"X-Roles":               {"member,reader"},
		"X-Auth-Token":          {"the-token"},
		picasso.RequestIDHeader: {"req-1"},
		"X-Forwarded-For":       {"203.0.113.1, 198.51.100.2, 192.0.2.7"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("forwarded\n%v\nwant\n%v", got, want)
	}

	// The copy's values are its own: the function's header may change
	// without touching the caller's, and one field's append cannot spill
	// into the next.
	got["X-Multi"][0] = "changed"
	got["X-Project-Id"] = append(got["X-Project-Id"], "more")
	if r.Header["X-Multi"][0] != "one" || got["X-User-Id"][0] != "u1" {
		t.Errorf("the copy shares values: caller %v, forwarded %v", r.Header, got)
	}

	got = forwardHeaders(r, nil, &picasso.Route{ForwardToken: true})
	for _, name := range []string{"X-Auth-Token", "X-Project-Id", "X-User-Id", "X-Roles"} {
		if v, ok := got[name]; ok {
			t.Errorf("a public call forwarded %s: %q", name, v)
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

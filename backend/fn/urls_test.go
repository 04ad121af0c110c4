package fn

import (
	"strings"
	"testing"
)

func TestParseBaseURL(t *testing.T) {
	for _, raw := range []string{"http://fn:8080", "http://fn:8080/", "http://fn:8080/v2", "http://fn:8080/v2/"} {
		u, err := parseBaseURL(raw)
		if err != nil || u.apps() != "http://fn:8080/v2/apps" {
			t.Errorf("parseBaseURL(%q) = %q, %v", raw, u.apps(), err)
		}
	}
	u, err := parseBaseURL("https://gw.example/fn/v2")
	if err != nil || u.invoke("pfapp", "/a/b", "x=1") != "https://gw.example/fn/t/pfapp/a/b?x=1" {
		t.Errorf("prefix without port: %q, %v", u.invoke("pfapp", "/a/b", "x=1"), err)
	}
	for _, bad := range []string{"", "fn:8080", "ftp://fn", "http://user:pw@fn:8080"} {
		if _, err := parseBaseURL(bad); err == nil {
			t.Errorf("parseBaseURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("error %v shows the password", err)
		}
	}
}

func TestFnNameIsValidAndInjective(t *testing.T) {
	paths := []string{"/a_b", "/a/b", "/a.b", "/a~b", "/A/b", "/a-b", "/" + strings.Repeat("x", 254), "/" + strings.Repeat("x", 253) + "y"}
	seen := map[string]string{}
	for _, p := range paths {
		name := fnName(p)
		if name != fnName(p) {
			t.Fatalf("fnName(%q) is not deterministic", p)
		}
		if len(name) > 255 {
			t.Errorf("fnName(%q) has %d characters, Fn allows 255", p, len(name))
		}
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				t.Errorf("fnName(%q) = %q has %q, which Fn rejects", p, name, c)
			}
		}
		if other, dup := seen[name]; dup {
			t.Errorf("fnName(%q) = fnName(%q) = %q", p, other, name)
		}
		seen[name] = p
	}
	if !strings.HasPrefix(fnName("/hello/world"), "hello_world-") {
		t.Errorf("fnName(/hello/world) = %q, want a readable prefix", fnName("/hello/world"))
	}
}

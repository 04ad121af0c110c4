package picasso_test

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestBackendNameShape(t *testing.T) {
	name := picasso.BackendName("0123456789abcdef0123456789abcdef", "list_routes_from_existing_app")
	if len(name) != 28 || !strings.HasPrefix(name, "pf") || !picasso.IsBackendName(name) {
		t.Fatalf("backend name %q", name)
	}
	if picasso.IsProjectID(name) {
		t.Fatalf("backend name %q looks like a project id", name)
	}
	// The same name in two projects, and the length-prefix boundary.
	pairs := [][2]string{{"a", "bc"}, {"ab", "c"}, {"0123456789abcdef0123456789abcdef", "x"}, {"0123456789abcdef0123456789abcdee", "x"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		n := picasso.BackendName(p[0], p[1])
		if prev, ok := seen[n]; ok {
			t.Fatalf("%v and %v share backend name %s", prev, p, n)
		}
		seen[n] = p
	}
}

func TestValidateAppName(t *testing.T) {
	for _, ok := range []string{"a", "Zed", "my-app_1", strings.Repeat("x", 64)} {
		if err := picasso.ValidateAppName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-a", "_a", "a.b", "a b", "ü", "a/b", "a\x00", strings.Repeat("x", 65), "x' OR 1=1 --"} {
		if err := picasso.ValidateAppName(bad); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateRoutePath(t *testing.T) {
	for _, ok := range []string{"/a", "/a/b/c", "/v1.2/x~y", "/A-b_c"} {
		if err := picasso.ValidateRoutePath(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/", "a", "//a", "/a/", "/a/../b", "/./a", "/%2e", "/a:b", "/*", "/a?b", "/a b", "/\x00", "/é", "/" + strings.Repeat("a", 255)} {
		if err := picasso.ValidateRoutePath(bad); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzBackendNameIsInjective(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef", "app", "0123456789abcdef0123456789abcdef", "App")
	f.Add("a", "bc", "ab", "c")
	f.Add("", "", "\x00", "")
	f.Fuzz(func(t *testing.T, p1, n1, p2, n2 string) {
		b1, b2 := picasso.BackendName(p1, n1), picasso.BackendName(p2, n2)
		if (p1 != p2 || n1 != n2) && b1 == b2 {
			t.Fatalf("(%q,%q) and (%q,%q) both map to %s", p1, n1, p2, n2, b1)
		}
		if !picasso.IsBackendName(b1) || picasso.IsProjectID(b1) || picasso.ValidateAppName(b1) != nil {
			t.Fatalf("backend name %q has the wrong shape", b1)
		}
	})
}

func FuzzNameValidation(f *testing.F) {
	for _, s := range []string{"app", "/a/b", "..", "/a/../b", "%zz", "\xff", "/a//b", "0123-abcd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if picasso.ValidateAppName(s) == nil {
			if len(s) > picasso.MaxAppNameLength || strings.ContainsAny(s, "/. \x00%") {
				t.Fatalf("accepted app name %q", s)
			}
		}
		if picasso.ValidateRoutePath(s) == nil {
			if !strings.HasPrefix(s, "/") || strings.Contains(s, "//") || strings.HasSuffix(s, "/") ||
				strings.Contains(s, "/../") || strings.HasSuffix(s, "/..") || strings.ContainsAny(s, "%?*: \x00") {
				t.Fatalf("accepted route path %q", s)
			}
		}
		if picasso.IsProjectID(s) && picasso.IsBackendName(s) {
			t.Fatalf("%q is both a project id and a backend name", s)
		}
	})
}

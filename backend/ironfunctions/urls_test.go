package ironfunctions

import (
	"testing"

	"github.com/picasso-faas/picasso"
)

func TestParseBaseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http://h:8080":          "http://h:8080/v1/apps",
		"http://h:8080/":         "http://h:8080/v1/apps",
		"http://h:8080/v1":       "http://h:8080/v1/apps",
		"http://h:8080/v1/":      "http://h:8080/v1/apps",
		"http://h":               "http://h/v1/apps",
		"https://h/v1":           "https://h/v1/apps",
		"http://h/functions/v1/": "http://h/functions/v1/apps",
	} {
		u, err := parseBaseURL(raw)
		if err != nil {
			t.Errorf("parseBaseURL(%q): %v", raw, err)
			continue
		}
		if got := u.apps().String(); got != want {
			t.Errorf("parseBaseURL(%q) apps URL = %s, want %s", raw, got, want)
		}
		if got, wantVersion := u.version().String(), want[:len(want)-len("/v1/apps")]+"/version"; got != wantVersion {
			t.Errorf("parseBaseURL(%q) version URL = %s, want %s", raw, got, wantVersion)
		}
	}
	for _, raw := range []string{"", "h:8080", "ftp://h", "http://", "http://u:p@h", "http://h?x=1", "http://h#f", "http://%zz"} {
		if _, err := parseBaseURL(raw); err == nil {
			t.Errorf("parseBaseURL(%q) accepted", raw)
		}
	}
}

func TestURLsEscapeAndRefuseAmbiguousPaths(t *testing.T) {
	u, _ := parseBaseURL("http://h")
	got, err := u.route("app", "/q?x=1/a b/w*")
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://h/v1/apps/app/routes/q%3Fx=1/a%20b/w%2A"; got.String() != want {
		t.Errorf("route URL = %s, want %s", got, want)
	}
	inv, err := u.invoke("app", "/a/b", "x=1&y=%20")
	if err != nil || inv.String() != "http://h/r/app/a/b?x=1&y=%20" {
		t.Errorf("invoke URL = %v, %v", inv, err)
	}
	for _, p := range []string{"", "nolead", "/a/../b", "/a/./b", "/a//b", "/a/"} {
		if _, err := u.route("app", p); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("route path %q: err %v, want EINVALID", p, err)
		}
	}
	// An empty app name must never yield /v1/apps//routes or anything the
	// server could route to its panicking /v1/routes.
	for _, name := range []string{"", "a/b", "..", "."} {
		if _, err := u.routes(name); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("app name %q: err %v, want EINVALID", name, err)
		}
	}
	if root, err := u.route("app", "/"); err != nil || root.String() != "http://h/v1/apps/app/routes/" {
		t.Errorf("root route URL = %v, %v", root, err)
	}
}

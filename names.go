package picasso

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Limits of names and paths. They are checked, never silently truncated.
const (
	MaxAppNameLength   = 64
	MaxRoutePathLength = 255
	MaxProjectIDLength = 64
	MaxImageLength     = 255
	MaxDescription     = 1024
)

// BackendNamePrefix starts every backend app name. "p" is not a hex digit,
// so a backend name can never be mistaken for a project id, which is what
// keeps /r/{project_id}/{app}/... and /r/{backend_name}/... apart.
const BackendNamePrefix = "pf"

// backendHashLength base32 characters carry 130 bits of the hash: together
// with the prefix a backend name is 28 characters, within IronFunctions'
// limit of 30 and its (buggy) character rules: lower case and digits only.
const backendHashLength = 26

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// BackendName derives the runtime's app name for a project's app. The
// project id and name are length-prefixed before hashing, so distinct
// (project, name) pairs hash distinct inputs; the store's unique key on the
// result turns the 2^-130 chance of a hash collision into a conflict error
// instead of a shared app.
func BackendName(projectID, appName string) string {
	h := sha256.New()
	writeLengthPrefixed(h, projectID)
	writeLengthPrefixed(h, appName)
	return BackendNamePrefix + lowerBase32.EncodeToString(h.Sum(nil))[:backendHashLength]
}

func writeLengthPrefixed(h interface{ Write([]byte) (int, error) }, s string) {
	n := len(s)
	h.Write([]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	h.Write([]byte(s))
}

// IsBackendName reports whether s has the shape BackendName produces.
func IsBackendName(s string) bool {
	if len(s) != len(BackendNamePrefix)+backendHashLength || !strings.HasPrefix(s, BackendNamePrefix) {
		return false
	}
	for _, c := range s[len(BackendNamePrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// ValidateProjectID accepts Keystone project ids: hex digits, optionally
// with dashes (UUID form), at most 64 characters.
func ValidateProjectID(id string) error {
	if !IsProjectID(id) {
		return Errorf(EINVALID, "Invalid project id: must be 1 to %d hex digits or dashes", MaxProjectIDLength)
	}
	return nil
}

// IsProjectID reports whether s is shaped like a project id. Every call
// of a public URL asks, so it builds no error.
func IsProjectID(s string) bool {
	if s == "" || len(s) > MaxProjectIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// ValidateAppName accepts 1 to 64 ASCII letters, digits, "_" and "-",
// starting with a letter or digit. Names are case-sensitive.
func ValidateAppName(name string) error {
	if name == "" {
		return Errorf(EINVALID, "Missing app name")
	}
	if len(name) > MaxAppNameLength {
		return Errorf(EINVALID, "App name must be %d characters or less", MaxAppNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := isAlnum(c) || i > 0 && (c == '_' || c == '-')
		if !ok {
			return Errorf(EINVALID, "Invalid app name %q: use letters, digits, '_' and '-', starting with a letter or digit", name)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// WebhooksSegment ends a route's URL in the management API to address its
// webhooks (.../routes/a/b/webhooks), so no route path may have it after
// its first segment: such a route could not be addressed. As the first
// segment it is harmless, as .../routes/webhooks has no route before it.
const WebhooksSegment = "webhooks"

// CodeSegment ends a route's URL in the management API to address its
// code (.../routes/a/b/code), reserved in route paths like WebhooksSegment.
const CodeSegment = "code"

// ValidateRoutePath accepts absolute paths of one or more segments made of
// ASCII letters, digits, "_", "-", "." and "~", without "." or ".."
// segments, empty segments or a trailing slash. It keeps out everything
// IronFunctions mishandles (":", "*", "?", "%" escapes) and anything a
// proxy could normalise into another route, and WebhooksSegment after
// the first segment.
func ValidateRoutePath(p string) error {
	if p == "" {
		return Errorf(EINVALID, "Missing route path")
	}
	if len(p) > MaxRoutePathLength {
		return Errorf(EINVALID, "Route path must be %d characters or less", MaxRoutePathLength)
	}
	if p[0] != '/' {
		return Errorf(EINVALID, "Invalid route path %q: must start with '/'", p)
	}
	first := true
	for seg := range strings.SplitSeq(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return Errorf(EINVALID, "Invalid route path %q: empty, '.' or '..' segment", p)
		}
		if !first && (seg == WebhooksSegment || seg == CodeSegment) {
			return Errorf(EINVALID, "Invalid route path %q: %q is reserved after the first segment "+
				"(.../routes/{route}/%s addresses a route's %s)", p, seg, seg, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !isAlnum(c) && c != '_' && c != '-' && c != '.' && c != '~' {
				return Errorf(EINVALID, "Invalid route path %q: use letters, digits, '_', '-', '.' and '~' between slashes", p)
			}
		}
		first = false
	}
	return nil
}

package fn

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// Fn names allow letters, digits, '_' and '-' only, so a route path cannot
// be used as is. The readable part keeps an operator's bearings; the hash
// of the exact path makes the name unique, since the readable part is
// lossy ("/a_b" and "/a/b" both read "a_b") and may be shortened.
const (
	maxReadableName = 200
	nameHashLength  = 26 // 130 bits, as picasso.BackendName
)

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// fnName derives the fn name (also the trigger name) of a route path:
// deterministic, so the driver needs no stored mapping.
func fnName(path string) string {
	readable := strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			return c
		}
		return '_'
	}, strings.TrimPrefix(path, "/"))
	if len(readable) > maxReadableName {
		readable = readable[:maxReadableName]
	}
	sum := sha256.Sum256([]byte(path))
	return readable + "-" + lowerBase32.EncodeToString(sum[:])[:nameHashLength]
}

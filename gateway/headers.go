package gateway

import (
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/picasso-faas/picasso"
)

// hopByHop are the headers of one connection (RFC 9110 §7.6.1); a proxy
// must not forward them.
var hopByHop = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// callerOnly are the caller's credentials and the identity headers a
// function must only ever receive from Picasso itself, as keystonemiddleware
// names them. A client's own values are always removed.
var callerOnly = []string{
	"X-Auth-Token", "X-Subject-Token", "X-Service-Token",
	"X-Identity-Status", "X-Service-Identity-Status",
	"X-User-Id", "X-User-Name", "X-User-Domain-Id", "X-User-Domain-Name",
	"X-Project-Id", "X-Project-Name", "X-Project-Domain-Id", "X-Project-Domain-Name",
	"X-Domain-Id", "X-Domain-Name", "X-Roles", "X-Service-Catalog", "X-Is-Admin-Project",
}

// gatewaySet are the headers Picasso itself sets on a forwarded request:
// the execution core's call headers too, so that a client cannot pose as
// a queued call's attempt (the local runtime's CALL_ID and CALL_ATTEMPT).
var gatewaySet = []string{picasso.RequestIDHeader, "X-Forwarded-For",
	picasso.HeaderCallID, picasso.HeaderCallAttempt, picasso.HeaderCallStatus}

// reserved holds the normalized names (see normalizedName) of callerOnly
// and gatewaySet. IronFunctions and the local runtime turn every header
// into a variable HEADER_<upper case name, '-' as '_'>, so "X_Roles" or
// "x-ROLES" reach a function exactly like "X-Roles": a client's header is
// dropped whenever its normalized name is reserved, whatever its spelling.
var reserved = func() map[string]bool {
	m := make(map[string]bool, len(callerOnly)+len(gatewaySet))
	for _, name := range append(append([]string(nil), callerOnly...), gatewaySet...) {
		m[normalizedName(name)] = true
	}
	return m
}()

// normalizedName folds the spellings a function cannot tell apart.
func normalizedName(name string) string {
	return strings.ReplaceAll(strings.ToUpper(name), "-", "_")
}

// isReserved reports whether reserved holds name's normalized form. It
// folds an ASCII name (every name net/http's server accepts) on the
// stack, since a function call asks it of each of its headers; any other
// goes through normalizedName, whose Unicode upper case can turn a
// non-ASCII letter into an ASCII one.
func isReserved(name string) bool {
	var folded [64]byte
	if len(name) > len(folded) {
		return reserved[normalizedName(name)]
	}
	for i := range len(name) {
		c := name[i]
		switch {
		case c >= 0x80:
			return reserved[normalizedName(name)]
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		case c == '-':
			c = '_'
		}
		folded[i] = c
	}
	return reserved[string(folded[:len(name)])]
}

// forwardHeaders is the header a function receives: the caller's, minus
// hop-by-hop headers and every spelling of the credentials and of the
// headers Picasso sets, plus the verified identity (private calls), the
// caller's token when the route asks for it (private calls only: a public
// call's token was never verified), the request id and X-Forwarded-For
// (the caller's canonical X-Forwarded-For is kept and extended).
func forwardHeaders(r *http.Request, id *picasso.Identity, route *picasso.Route) http.Header {
	token := r.Header.Get("X-Auth-Token")
	prior := r.Header.Values("X-Forwarded-For")
	connection := r.Header["Connection"]
	// The copy is sized for what it keeps and for Picasso's own fields,
	// set below, and all their values share one backing array, as
	// Header.Clone's do: two allocations in all, where a clone that then
	// drops fields and adds others grew its map once more.
	const own = 6
	count := 0
	for _, values := range r.Header {
		count += len(values)
	}
	h := make(http.Header, len(r.Header)+own)
	values := make([]string, 0, count+own)
	for name, vv := range r.Header {
		if isHopByHop(name, connection) || isReserved(name) {
			continue
		}
		values = append(values, vv...)
		h[name] = values[len(values)-len(vv) : len(values) : len(values)]
	}
	// Picasso's own names are canonical already.
	set := func(name, value string) {
		values = append(values, value)
		h[name] = values[len(values)-1 : len(values) : len(values)]
	}
	if id != nil {
		set("X-Project-Id", id.ProjectID)
		set("X-User-Id", id.UserID)
		set("X-Roles", strings.Join(id.Roles, ","))
		if route.ForwardToken {
			set("X-Auth-Token", token)
		}
	}
	set(picasso.RequestIDHeader, picasso.RequestIDFrom(r.Context()))
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		if len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		set("X-Forwarded-For", ip)
	}
	return h
}

// copyHeaders copies a function's response header, minus hop-by-hop ones
// and minus those the gateway has already set (the request id): a route
// cannot make its answer pass for another request's.
func copyHeaders(dst, src http.Header) {
	connection := src.Values("Connection")
	for name, values := range src {
		if _, set := dst[name]; set || isHopByHop(name, connection) {
			continue
		}
		dst[name] = values
	}
}

// isHopByHop reports whether name is a hop-by-hop header or one that the
// message's Connection header lists.
func isHopByHop(name string, connection []string) bool {
	if slices.Contains(hopByHop, name) {
		return true
	}
	for _, v := range connection {
		for listed := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(listed), name) {
				return true
			}
		}
	}
	return false
}

// cleanQuery percent-encodes the bytes a query string may not hold
// (RFC 3986: controls, space, non-ASCII, and "\"<>\\^`{|}"), which a
// lenient client can still get into RawQuery; everything else, valid
// escapes and their order included, passes unchanged.
func cleanQuery(raw string) string {
	i := 0
	for i < len(raw) && !queryNeedsEscape(raw[i]) {
		i++
	}
	if i == len(raw) {
		return raw
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(raw) + 8)
	b.WriteString(raw[:i])
	for ; i < len(raw); i++ {
		c := raw[i]
		if queryNeedsEscape(c) {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func queryNeedsEscape(c byte) bool {
	return c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>\\^`{|}#", c) >= 0
}

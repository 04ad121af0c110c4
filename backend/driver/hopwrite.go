package driver

import (
	"bufio"
	"errors"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// writeRequest writes req, a plain request (see plain), with body as its
// whole body: byte for byte what req.Write writes for it, which a test
// holds it to. Request.Write formats its lines with fmt, builds a
// transfer writer and sorts the header through a pooled sorter, about a
// sixth of the hop's CPU per call in a profile; here the head goes
// straight into bw.
func writeRequest(bw *bufio.Writer, req *http.Request, body []byte) error {
	uri := req.URL.RequestURI()
	if containsCTL(uri) {
		return errors.New("net/http: can't write control character in Request.URL")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	bw.WriteString(method)
	bw.WriteByte(' ')
	bw.WriteString(uri)
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(requestHost(req))
	bw.WriteString("\r\n")

	userAgent := defaultUserAgent
	if _, ok := req.Header["User-Agent"]; ok {
		userAgent = req.Header.Get("User-Agent")
	}
	if userAgent != "" {
		writeHeaderLine(bw, "User-Agent", userAgent)
	}
	if len(body) > 0 || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.Itoa(len(body)))
		bw.WriteString("\r\n")
	}

	var names [32]string
	keys := names[:0]
	for name := range req.Header {
		if !writtenApart[name] {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	for _, name := range keys {
		if !httpguts.ValidHeaderFieldName(name) {
			continue // as Request.Write: dropped, not an error
		}
		for _, v := range req.Header[name] {
			writeHeaderLine(bw, name, v)
		}
	}
	bw.WriteString("\r\n")
	_, err := bw.Write(body)
	return err
}

// defaultUserAgent is net/http's, which Request.Write sends when the
// header has none.
const defaultUserAgent = "Go-http-client/1.1"

// writtenApart are the header fields Request.Write takes from the
// request's other fields and never from its header.
var writtenApart = map[string]bool{
	"Host": true, "User-Agent": true, "Content-Length": true,
	"Transfer-Encoding": true, "Trailer": true,
}

// writeHeaderLine writes one field with its value on one line, as
// Request.Write does: line breaks become spaces, and surrounding blanks
// go.
func writeHeaderLine(bw *bufio.Writer, name, value string) {
	bw.WriteString(name)
	bw.WriteString(": ")
	bw.WriteString(textproto.TrimString(newlineToSpace.Replace(value)))
	bw.WriteString("\r\n")
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

func containsCTL(s string) bool {
	for i := range len(s) {
		if s[i] < ' ' || s[i] == 0x7f {
			return true
		}
	}
	return false
}

// requestHost is the Host line's value of a plain request.
func requestHost(req *http.Request) string {
	if req.Host != "" {
		return req.Host
	}
	return req.URL.Host
}

// plain reports whether writeRequest writes req as Request.Write would:
// no transfer coding, trailer or Close of the caller's own, and a host that
// needs none of the rewriting Request.Write does (Punycode, dropping an
// invalid host, removing an IPv6 zone). The hop's backends are addresses
// an operator configured, so anything else is rare enough for net/http's
// Transport to handle.
func plain(req *http.Request) bool {
	if len(req.TransferEncoding) > 0 || req.Trailer != nil || req.Close {
		return false
	}
	host := requestHost(req)
	for i := range len(host) {
		if host[i] >= 0x80 || host[i] == '%' {
			return false
		}
	}
	return httpguts.ValidHostHeader(host)
}

package driver

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// stdBytes is what Request.Write sends for req with body as its whole
// body, set up as the hop transport did before it wrote requests itself.
func stdBytes(t testing.TB, req *http.Request, body []byte) (string, error) {
	t.Helper()
	out := new(http.Request)
	*out = *req
	out.Body, out.ContentLength = nil, 0
	if len(body) > 0 {
		out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	}
	var b bytes.Buffer
	bw := bufio.NewWriterSize(&b, hopBufferSize)
	if err := out.Write(bw); err != nil {
		return "", err
	}
	bw.Flush()
	return b.String(), nil
}

func hopBytes(req *http.Request, body []byte) (string, error) {
	var b bytes.Buffer
	bw := bufio.NewWriterSize(&b, hopBufferSize)
	if err := writeRequest(bw, req, body); err != nil {
		return "", err
	}
	bw.Flush()
	return b.String(), nil
}

// sameAsRequestWrite fails unless writeRequest and Request.Write agree on
// req: the same bytes, or both an error.
func sameAsRequestWrite(t *testing.T, req *http.Request, body []byte) {
	t.Helper()
	if !plain(req) {
		t.Fatalf("%s %s is not plain", req.Method, req.URL)
	}
	want, wantErr := stdBytes(t, req, body)
	got, err := hopBytes(req, body)
	if (err != nil) != (wantErr != nil) || got != want {
		t.Errorf("%s %s:\nwriteRequest  %q, %v\nRequest.Write %q, %v", req.Method, req.URL, got, err, want, wantErr)
	}
}

func newHopRequest(t testing.TB, method, target string, header http.Header) *http.Request {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Request{Method: method, URL: u, Host: u.Host, Header: header}
}

func TestWriteRequestIsRequestWrite(t *testing.T) {
	many := http.Header{}
	for i := range 40 {
		many.Set("X-Header-"+strconv.Itoa(i), strconv.Itoa(i))
	}
	cases := []struct {
		name, method, target string
		header               http.Header
		body                 string
	}{
		{"call", "POST", "http://10.0.0.1:8080/r/app/hello?a=1&b=%20", http.Header{
			"Content-Type": {"application/json"}, "X-Multi": {"one", "two"},
			"X-Request-Id": {"req-1"}, "Accept-Encoding": {"gzip"},
		}, `{"name":"x"}`},
		{"no body", "POST", "http://h/r/a/b", http.Header{}, ""},
		{"put and patch without body", "PUT", "http://h/x", nil, ""},
		{"patch", "PATCH", "http://h/x", http.Header{"A": {"b"}}, ""},
		{"get", "GET", "http://h/r/a/b?q", http.Header{"Accept": {"*/*"}}, ""},
		{"head", "HEAD", "http://h/", nil, ""},
		{"delete without body", "DELETE", "http://h/x", nil, ""},
		{"delete with body", "DELETE", "http://h/x", nil, "gone"},
		{"options", "OPTIONS", "http://h/x", http.Header{"Origin": {"https://o"}}, ""},
		{"no method", "", "http://h/x", nil, ""},
		{"line breaks and blanks in values", "POST", "http://h/x", http.Header{
			"X-Inject": {"a\r\nX-Evil: 1", "  padded\t ", "\n", ""},
		}, "b"},
		{"invalid and odd names", "POST", "http://h/x", http.Header{
			"Bad Name": {"dropped"}, "Colon:Name": {"dropped"}, "x-lower": {"kept as is"}, "": {"empty"},
		}, "b"},
		{"fields written apart", "POST", "http://h/x", http.Header{
			"Host": {"evil"}, "Content-Length": {"999"}, "Transfer-Encoding": {"chunked"},
			"Trailer": {"X"}, "content-length": {"written as any other"},
		}, "body"},
		{"own user agent", "POST", "http://h/x", http.Header{"User-Agent": {"picasso\r\n/1"}}, ""},
		{"empty user agent", "POST", "http://h/x", http.Header{"User-Agent": {""}}, ""},
		{"user agent without value", "POST", "http://h/x", http.Header{"User-Agent": nil}, ""},
		{"many fields", "POST", "http://h/x", many, "b"},
		{"body beyond the buffer", "POST", "http://h/x", nil, strings.Repeat("0123456789", 1000)},
		{"ipv6 host", "POST", "http://[::1]:9/x", nil, ""},
		{"encoded path", "POST", "http://h/a%2Fb/c%20d", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sameAsRequestWrite(t, newHopRequest(t, c.method, c.target, c.header), []byte(c.body))
		})
	}
	t.Run("host apart from the URL", func(t *testing.T) {
		req := newHopRequest(t, "POST", "http://10.0.0.1/x", nil)
		req.Host = "functions.example"
		sameAsRequestWrite(t, req, nil)
	})
	t.Run("control character in the URL", func(t *testing.T) {
		req := newHopRequest(t, "POST", "http://h/x", nil)
		req.URL.RawQuery = "a=\x01"
		sameAsRequestWrite(t, req, nil)
		if _, err := hopBytes(req, nil); err == nil {
			t.Error("no error for a control character in the URL")
		}
	})
}

// FuzzWriteRequestIsRequestWrite holds writeRequest to Request.Write on
// requests made of arbitrary parts.
func FuzzWriteRequestIsRequestWrite(f *testing.F) {
	f.Add("POST", "/r/app/hello", "a=1", "X-Name", "value", []byte("body"))
	f.Add("GET", "/", "", "user-agent", "\r\n", []byte(nil))
	f.Add("PATCH", "/a%20b", "x=%zz", "Content-Length", " 5 ", []byte("12345"))
	f.Fuzz(func(t *testing.T, method, path, query, name, value string, body []byte) {
		if !validMethodForFuzz(method) {
			t.Skip()
		}
		req := &http.Request{
			Method: method,
			URL:    &url.URL{Scheme: "http", Host: "backend:8080", Path: path, RawQuery: query},
			Host:   "backend:8080",
			Header: http.Header{name: {value}, "X-Fixed": {"1"}},
		}
		sameAsRequestWrite(t, req, body)
	})
}

// validMethodForFuzz keeps methods that are a token, as every method the
// gateway forwards is (net/http's server refuses any other).
func validMethodForFuzz(m string) bool {
	for i := range len(m) {
		if c := m[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func TestPlainLeavesRewritesToTheTransport(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*http.Request)
	}{
		{"transfer coding", func(r *http.Request) { r.TransferEncoding = []string{"chunked"} }},
		{"trailer", func(r *http.Request) { r.Trailer = http.Header{"X": nil} }},
		{"close", func(r *http.Request) { r.Close = true }},
		{"non-ASCII host", func(r *http.Request) { r.Host = "fünktion.example" }},
		{"IPv6 zone", func(r *http.Request) { r.Host = "[fe80::1%eth0]:80" }},
		{"invalid host", func(r *http.Request) { r.Host = "a b" }},
	} {
		req := newHopRequest(t, "POST", "http://h/x", nil)
		if !plain(req) {
			t.Fatal("a plain request is not plain")
		}
		c.change(req)
		if plain(req) {
			t.Errorf("%s: plain", c.name)
		}
	}
}

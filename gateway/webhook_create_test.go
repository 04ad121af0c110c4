package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A webhook is created from no body, an empty chunked body, an empty body
// with or without Content-Type, {} and the envelope; a body that is not
// the schema is still a 400, and one that is not JSON a 415.
func TestWebhookCreateBodies(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	publicAndPrivate(h)
	path := "/v1/" + projA + "/apps/fns/routes/pub/webhooks"
	// io.MultiReader hides the length: the client sends it chunked.
	chunked := func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }
	for _, c := range []struct {
		name        string
		body        io.Reader
		contentType string
		length      int64
		status      int
		enabled     bool
	}{
		{"no body", nil, "", 0, 200, true},
		{"empty chunked body", chunked(""), "", -1, 200, true},
		{"empty body with JSON type", strings.NewReader(""), "application/json", 0, 200, true},
		{"whitespace", chunked(" \n"), "application/json", -1, 200, true},
		{"{}", strings.NewReader("{}"), "application/json", 2, 200, true},
		{"{} chunked", chunked("{}"), "application/json", -1, 200, true},
		{"empty envelope", strings.NewReader(`{"webhook":{}}`), "application/json", 14, 200, true},
		{"envelope", strings.NewReader(`{"webhook":{"enabled":false}}`), "application/json", 29, 200, false},
		{"unknown field", strings.NewReader(`{"hook":{}}`), "application/json", 11, 400, false},
		{"not JSON", strings.NewReader("{}"), "text/plain", 2, 415, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", h.url+path, c.body)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = c.length
			req.Header.Set("X-Auth-Token", "member-a")
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			resp, err := sendRequest(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.expect(t, c.status)
			if c.status != 200 {
				return
			}
			if wh := resp.decode(t).webhook(t); wh.Enabled != c.enabled || wh.URL == "" {
				t.Fatalf("webhook %+v, want enabled=%v with its url", wh, c.enabled)
			}
		})
	}
}

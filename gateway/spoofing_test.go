package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso/backend/fn"
	"github.com/picasso-faas/picasso/backend/fntest"
	"github.com/picasso-faas/picasso/backend/local"
	"github.com/picasso-faas/picasso/gateway"
)

// spoofedHeaders are identity, credential and gateway headers in the
// spellings a function cannot tell from the real ones (IronFunctions and
// the local runtime fold case and '-'/'_' into one HEADER_* variable),
// plus duplicates of the canonical names. Every value holds "spoofed".
var spoofedHeaders = http.Header{
	"X_Roles":                {"admin-spoofed"},
	"x_roles":                {"admin-spoofed"},
	"x-ROLES":                {"admin-spoofed"},
	"X-Roles":                {"admin-spoofed", "admin-spoofed-twice"},
	"X_Project_Id":           {"spoofed-project"},
	"X-PROJECT-ID":           {"spoofed-project"},
	"X_User_Id":              {"spoofed-user"},
	"X_Auth_Token":           {"spoofed-token"},
	"x-auth_token":           {"spoofed-token"},
	"X_Identity_Status":      {"Confirmed-spoofed"},
	"X_Openstack_Request_Id": {"spoofed-request-id"},
	"X_Forwarded_For":        {"10.0.0.1-spoofed"},
}

// spoofBackends are the three drivers, each with an echoing image that
// shows what the function received.
var spoofBackends = []struct {
	name  string
	image string
	with  func(t *testing.T) harnessOption
}{
	{"ironfunctions", "iron/echo", func(*testing.T) harnessOption { return func(*gateway.Config, *gateway.Deps) {} }},
	{"fn", fntest.ImageEcho, func(t *testing.T) harnessOption {
		fake := fntest.New()
		t.Cleanup(fake.Close)
		client, err := fn.New(fake.URL(), fn.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return func(_ *gateway.Config, d *gateway.Deps) { d.Backend = client }
	}},
	{"local", "echo", func(t *testing.T) harnessOption {
		rt, err := local.New(local.Options{FunctionsDir: filepath.Join("..", "examples", "functions")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rt.Close(ctx)
		})
		return func(_ *gateway.Config, d *gateway.Deps) { d.Backend = rt }
	}},
}

func TestHeaderSpellingsCannotSpoofIdentity(t *testing.T) {
	for _, b := range spoofBackends {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t, sqliteURI(t), b.with(t))
			app := h.createApp(projA, "member-a", "spoof")
			h.createRoute(projA, "member-a", "spoof", map[string]any{"path": "/pub", "image": b.image, "is_public": true})
			h.createRoute(projA, "member-a", "spoof", map[string]any{"path": "/priv", "image": b.image})
			hook := h.do(t, "POST", "/v1/"+projA+"/apps/spoof/routes/pub/webhooks", "member-a", nil).expect(t, 200).decode(t).webhook(t)
			hookURL, err := url.Parse(hook.URL)
			if err != nil {
				t.Fatal(err)
			}
			calls := []struct {
				name, path, token string
				private           bool
			}{
				{"private", "/r/" + projA + "/spoof/priv", "member-a", true},
				{"private-v1", "/v1/r/" + projA + "/spoof/priv", "member-a", true},
				{"public", "/r/" + app.BackendName + "/pub", "", false},
				{"webhook", hookURL.Path, "", false},
			}
			for _, c := range calls {
				t.Run(c.name, func(t *testing.T) {
					// Several tries: a spoof that wins only in some map
					// orders must still be caught.
					for range 5 {
						seen := h.callWithHeaders(t, c.path, c.token, spoofedHeaders)
						if strings.Contains(seen, "spoofed") {
							t.Fatalf("a spoofed header reached the function:\n%s", seen)
						}
						if c.private && !strings.Contains(seen, "member,reader") {
							t.Fatalf("the verified roles did not reach the function:\n%s", seen)
						}
						if strings.Contains(seen, "member-a") {
							t.Fatalf("the caller's token reached the function:\n%s", seen)
						}
					}
				})
			}
		})
	}
}

// callWithHeaders POSTs to path with the header names exactly as given
// (the client writes them unchanged) and returns what the function echoed.
func (h *harness) callWithHeaders(t *testing.T, path, token string, header http.Header) string {
	t.Helper()
	req, err := http.NewRequest("POST", h.url+path, strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	if token != "" {
		req.Header["X-Auth-Token"] = []string{token}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %v: %s", path, resp.StatusCode, err, body)
	}
	return string(body)
}

package gateway_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// webhookFixture is app "hooks" of project A with a private sync route
// /priv/x and a public async route /pub.
type webhookFixture struct {
	*harness
	base string // the management URL of /priv/x
}

func newWebhookFixture(h *harness) *webhookFixture {
	h.createApp(projA, "member-a", "hooks")
	h.createRoute(projA, "member-a", "hooks", map[string]any{"path": "/priv/x", "image": "iron/echo"})
	h.createRoute(projA, "member-a", "hooks", map[string]any{"path": "/pub", "image": "iron/echo", "type": "async", "is_public": true})
	return &webhookFixture{harness: h, base: "/v1/" + projA + "/apps/hooks/routes/priv/x/webhooks"}
}

// createWebhook creates a webhook with the body (nil for none) and
// returns its view, URL and secret included.
func (f *webhookFixture) createWebhook(base string, body any) *webhookJSON {
	f.t.Helper()
	return f.do(f.t, "POST", base, "member-a", body).expect(f.t, 200).decode(f.t).webhook(f.t)
}

// webhookPath is the path of a webhook's URL, which the view gives in full.
func (f *webhookFixture) webhookPath(view *webhookJSON) string {
	f.t.Helper()
	url := view.URL
	path, ok := strings.CutPrefix(url, f.url)
	if !ok || !webhookURLPath.MatchString(path) {
		f.t.Fatalf("webhook url %q is not %s/webhooks/<43 base64url characters>", url, f.url)
	}
	return path
}

var webhookURLPath = regexp.MustCompile(`^/webhooks/[A-Za-z0-9_-]{43}$`)

func TestWebhookLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		f := newWebhookFixture(h)

		f.do(t, "POST", f.base, "reader-a", nil).expect(t, 403)
		f.do(t, "POST", f.base, "member-b", nil).expect(t, 403)
		f.do(t, "POST", f.base, "", nil).expect(t, 401)
		f.do(t, "POST", "/v1/"+projA+"/apps/hooks/routes/nothing/webhooks", "member-a", nil).expect(t, 404)

		created := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"description": "alarm target"}})
		path := f.webhookPath(created)
		id := created.ID
		if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || created.Signed != false || created.Enabled != true ||
			created.RoutePath != "/priv/x" || created.App != "hooks" || created.Description != "alarm target" {
			t.Fatalf("created webhook %v", created)
		}
		if created.Secret != "" {
			t.Errorf("an unsigned webhook has a secret: %v", created)
		}

		// Readers see webhooks, never their URLs; other projects see nothing.
		list := f.do(t, "GET", f.base, "reader-a", nil).expect(t, 200).decode(t).Webhooks
		shown := f.do(t, "GET", f.base+"/"+id, "reader-a", nil).expect(t, 200).decode(t).webhook(t)
		if len(list) != 1 || list[0].ID != id || shown.ID != id || shown.Description != "alarm target" {
			t.Fatalf("list %v, show %v", list, shown)
		}
		if strings.Contains(string(f.do(t, "GET", f.base, "reader-a", nil).Body), path) || shown.URL != "" {
			t.Error("a list or show reveals the webhook URL")
		}
		f.do(t, "GET", f.base, "member-b", nil).expect(t, 403)
		f.do(t, "GET", "/v1/"+projB+"/apps/hooks/routes/priv/x/webhooks", "member-b", nil).expect(t, 404)
		f.do(t, "GET", f.base+"/"+strings.Repeat("0", 32), "reader-a", nil).expect(t, 404)

		// The URL runs the private route without a token, with no identity.
		resp := f.do(t, "POST", path, "", `{"alarm":"cpu_high"}`, "Content-Type", "application/json").expect(t, 200)
		if !strings.Contains(string(resp.Body), `cpu_high`) {
			t.Errorf("payload did not reach the function: %s", resp.Body)
		}
		call := f.fake.Calls()[len(f.fake.Calls())-1]
		if call.Route != "/priv/x" || call.Header.Get("X-Project-Id") != "" || call.Header.Get("X-Auth-Token") != "" {
			t.Errorf("backend saw route %s with identity %q token %q", call.Route, call.Header.Get("X-Project-Id"), call.Header.Get("X-Auth-Token"))
		}
		// A token sent along is ignored, never forwarded.
		f.do(t, "POST", path, "member-b", "x").expect(t, 200)
		if got := f.fake.Calls()[len(f.fake.Calls())-1].Header.Get("X-Auth-Token"); got != "" {
			t.Error("token forwarded through a webhook")
		}

		unknown := f.do(t, "POST", "/webhooks/"+strings.Repeat("A", 43), "", "x").expect(t, 404)
		wantSameAnswer := func(what string, r *response) {
			t.Helper()
			if r.ErrorMessage(t) != unknown.ErrorMessage(t) || r.Header.Get("Content-Type") != unknown.Header.Get("Content-Type") {
				t.Errorf("%s answers %s, an unknown webhook %s", what, r.Body, unknown.Body)
			}
		}
		wantSameAnswer("a malformed token", f.do(t, "POST", "/webhooks/short", "", "x").expect(t, 404))
		f.do(t, "GET", path, "", nil).expect(t, 405)

		calls := len(f.fake.Calls())
		f.do(t, "PUT", f.base+"/"+id, "reader-a", map[string]any{"enabled": false}).expect(t, 403)
		disabled := f.do(t, "PUT", f.base+"/"+id, "member-a", map[string]any{"enabled": false}).expect(t, 200).decode(t).webhook(t)
		if disabled.Enabled != false || disabled.Description != "alarm target" || disabled.URL != "" {
			t.Errorf("disabled webhook %v", disabled)
		}
		wantSameAnswer("a disabled webhook", f.do(t, "POST", path, "", "x").expect(t, 404))
		f.do(t, "PUT", f.base+"/"+id, "member-a", map[string]any{"enabled": true}).expect(t, 200)
		f.do(t, "POST", path, "", "x").expect(t, 200)

		f.do(t, "POST", f.base+"/"+id+"/rotate", "reader-a", nil).expect(t, 403)
		rotated := f.do(t, "POST", f.base+"/"+id+"/rotate", "member-a", nil).expect(t, 200).decode(t).webhook(t)
		newPath := f.webhookPath(rotated)
		if newPath == path || rotated.ID != id {
			t.Fatalf("rotation kept the URL or changed the id: %v", rotated)
		}
		wantSameAnswer("a rotated-away URL", f.do(t, "POST", path, "", "x").expect(t, 404))
		f.do(t, "POST", newPath, "", "x").expect(t, 200)

		f.do(t, "DELETE", f.base+"/"+id, "reader-a", nil).expect(t, 403)
		f.do(t, "DELETE", f.base+"/"+id, "member-a", nil).expect(t, 200)
		wantSameAnswer("a deleted webhook", f.do(t, "POST", newPath, "", "x").expect(t, 404))
		f.do(t, "GET", f.base+"/"+id, "reader-a", nil).expect(t, 404)
		f.do(t, "DELETE", f.base+"/"+id, "member-a", nil).expect(t, 404)
		if got := len(f.fake.Calls()) - calls; got != 2 {
			t.Errorf("%d calls reached the backend since disabling, want the 2 that were allowed", got)
		}
	})
}

func TestDeletingARouteDeletesItsWebhooks(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		f := newWebhookFixture(h)
		pubBase := "/v1/" + projA + "/apps/hooks/routes/pub/webhooks"
		path := f.webhookPath(f.createWebhook(pubBase, nil))
		f.do(t, "POST", path, "", "x").expect(t, 202)

		f.do(t, "DELETE", "/v1/"+projA+"/apps/hooks/routes/pub", "member-a", nil).expect(t, 200)
		f.do(t, "POST", path, "", "x").expect(t, 404)
		// A new route at the same path starts without webhooks.
		h.createRoute(projA, "member-a", "hooks", map[string]any{"path": "/pub", "image": "iron/echo"})
		if list := f.do(t, "GET", pubBase, "member-a", nil).expect(t, 200).decode(t).Webhooks; len(list) != 0 {
			t.Errorf("the recreated route inherited webhooks: %v", list)
		}
		f.do(t, "POST", path, "", "x").expect(t, 404)
	})
}

func TestWebhookRequestBodies(t *testing.T) {
	f := newWebhookFixture(newHarness(t, sqliteURI(t)))
	f.do(t, "POST", f.base, "member-a", `{"webhook":{"secret":"mine"}}`, "Content-Type", "application/json").expect(t, 400)
	f.do(t, "POST", f.base, "member-a", `{"webhook":{}}`, "Content-Type", "text/plain").expect(t, 415)
	f.do(t, "POST", f.base, "member-a", map[string]any{"webhook": map[string]any{"description": strings.Repeat("d", 1025)}}).expect(t, 400)

	off := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"enabled": false}})
	if off.Enabled != false {
		t.Errorf("created enabled: %v", off)
	}
	f.do(t, "POST", f.webhookPath(off), "", "x").expect(t, 404)
	f.do(t, "PUT", f.base+"/"+off.ID, "member-a", map[string]any{"signed": true}).expect(t, 400)
	f.do(t, "PUT", f.base+"/"+off.ID, "member-a", nil).expect(t, 415)
}

// The webhooks segment is reserved after a route's first segment, so that
// no route's management URL can be taken for its webhooks'.
func TestRoutePathsCannotShadowWebhooks(t *testing.T) {
	f := newWebhookFixture(newHarness(t, sqliteURI(t)))
	for _, path := range []string{"/a/webhooks", "/a/webhooks/b", "/a/webhooks/b/rotate"} {
		resp := f.do(t, "POST", "/v1/"+projA+"/apps/hooks/routes", "member-a",
			map[string]any{"route": map[string]any{"path": path, "image": "iron/echo"}}).expect(t, 400)
		if !strings.Contains(resp.ErrorMessage(t), `"webhooks" is reserved`) {
			t.Errorf("%s: %s", path, resp.Body)
		}
	}
	f.createRoute(projA, "member-a", "hooks", map[string]any{"path": "/webhooks/github", "image": "iron/echo"})
	got := f.do(t, "GET", "/v1/"+projA+"/apps/hooks/routes/webhooks/github", "member-a", nil).expect(t, 200).decode(t)
	if got.route(t).Path != "/webhooks/github" {
		t.Errorf("route /webhooks/github not addressable: %v", got)
	}
	f.createWebhook("/v1/"+projA+"/apps/hooks/routes/webhooks/github/webhooks", nil)
}

// signedCall sends body to a signed webhook as the documented scheme says,
// computed here independently of the gateway's code.
func signedCall(h *harness, path, secret, body string, sent time.Time) *response {
	h.t.Helper()
	timestamp := strconv.FormatInt(sent.Unix(), 10)
	return h.do(h.t, "POST", path, "", body, "Content-Type", "application/json",
		"X-Picasso-Timestamp", timestamp, "X-Picasso-Signature", "sha256="+hmacHex(secret, timestamp+"."+body))
}

func hmacHex(secret, message string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(message))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestSignedWebhook(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		f := newWebhookFixture(h)
		created := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"signed": true}})
		path := f.webhookPath(created)
		secret := created.Secret
		if len(secret) < 43 || created.Signed != true {
			t.Fatalf("signed webhook %v: want a secret of 256 bits", created)
		}
		if shown := f.do(t, "GET", f.base+"/"+created.ID, "member-a", nil).expect(t, 200).decode(t).webhook(t); shown.Secret != "" || shown.Signed != true {
			t.Errorf("show of a signed webhook: %v", shown)
		}

		body := `{"alarm_name":"cpu_high","current":"alarm"}`
		now := time.Now()
		ts := strconv.FormatInt(now.Unix(), 10)
		good := "sha256=" + hmacHex(secret, ts+"."+body)
		calls := len(f.fake.Calls())
		refusals := []struct {
			name    string
			headers []string
			message string
		}{
			{"unsigned", nil, "Missing webhook signature"},
			{"signature without timestamp", []string{"X-Picasso-Signature", good}, "Missing webhook signature"},
			{"wrong key", []string{"X-Picasso-Timestamp", ts, "X-Picasso-Signature", "sha256=" + hmacHex("guess", ts+"."+body)}, "Invalid webhook signature"},
			{"other body", []string{"X-Picasso-Timestamp", ts, "X-Picasso-Signature", "sha256=" + hmacHex(secret, ts+".{}")}, "Invalid webhook signature"},
			{"other timestamp", []string{"X-Picasso-Timestamp", strconv.FormatInt(now.Unix()+1, 10), "X-Picasso-Signature", good}, "Invalid webhook signature"},
			{"no sha256= prefix", []string{"X-Picasso-Timestamp", ts, "X-Picasso-Signature", strings.TrimPrefix(good, "sha256=")}, "Invalid webhook signature"},
			{"not hex", []string{"X-Picasso-Timestamp", ts, "X-Picasso-Signature", "sha256=zz"}, "Invalid webhook signature"},
			{"malformed timestamp", []string{"X-Picasso-Timestamp", "yesterday", "X-Picasso-Signature", good}, "Webhook signature timestamp"},
		}
		for _, r := range refusals {
			headers := append([]string{"Content-Type", "application/json"}, r.headers...)
			resp := f.do(t, "POST", path, "", body, headers...).expect(t, 401)
			if msg := resp.ErrorMessage(t); !strings.HasPrefix(msg, r.message) {
				t.Errorf("%s: message %q, want %q...", r.name, msg, r.message)
			}
			if resp.Header.Get("WWW-Authenticate") != "" {
				t.Errorf("%s: a Keystone challenge on a webhook", r.name)
			}
		}
		for _, sent := range []time.Time{now.Add(-6 * time.Minute), now.Add(6 * time.Minute)} {
			msg := signedCall(h, path, secret, body, sent).expect(t, 401).ErrorMessage(t)
			if !strings.HasPrefix(msg, "Webhook signature timestamp") {
				t.Errorf("signed %s from now: %q", sent.Sub(now).Round(time.Minute), msg)
			}
		}
		if len(f.fake.Calls()) != calls {
			t.Fatal("a refused call reached the backend")
		}

		resp := signedCall(h, path, secret, body, now).expect(t, 200)
		if !strings.Contains(string(resp.Body), "cpu_high") || string(f.fake.Calls()[calls].Body) != body {
			t.Errorf("signed call: %s, backend saw %q", resp.Body, f.fake.Calls()[calls].Body)
		}
		// The very same request again, and with the hex in upper case.
		replayed := signedCall(h, path, secret, body, now).expect(t, 401).ErrorMessage(t)
		upper := f.do(t, "POST", path, "", body, "Content-Type", "application/json",
			"X-Picasso-Timestamp", ts, "X-Picasso-Signature", "sha256="+strings.ToUpper(hmacHex(secret, ts+"."+body))).expect(t, 401).ErrorMessage(t)
		if !strings.Contains(replayed, "replayed") || !strings.Contains(upper, "replayed") {
			t.Errorf("replays answered %q and %q", replayed, upper)
		}
		// Signed anew (a second later) the same body passes: it is a new request.
		signedCall(h, path, secret, body, now.Add(-time.Second)).expect(t, 200)
		if got := len(f.fake.Calls()) - calls; got != 2 {
			t.Errorf("%d calls reached the backend, want the 2 correctly signed ones", got)
		}

		// Rotation replaces the secret; signing can be switched off with it.
		id := created.ID
		rotated := f.do(t, "POST", f.base+"/"+id+"/rotate", "member-a", nil).expect(t, 200).decode(t).webhook(t)
		newPath, newSecret := f.webhookPath(rotated), rotated.Secret
		if newSecret == secret || newSecret == "" {
			t.Fatalf("rotation kept the secret: %v", rotated)
		}
		signedCall(h, newPath, secret, body, time.Now().Add(-2*time.Second)).expect(t, 401)
		signedCall(h, newPath, newSecret, body, time.Now().Add(-2*time.Second)).expect(t, 200)
		unsigned := f.do(t, "POST", f.base+"/"+id+"/rotate", "member-a", map[string]any{"signed": false}).expect(t, 200).decode(t).webhook(t)
		if unsigned.Signed != false || unsigned.Secret != "" {
			t.Errorf("rotated to unsigned: %v", unsigned)
		}
		f.do(t, "POST", f.webhookPath(unsigned), "", body).expect(t, 200)
	})
}

// The token is the credential: it must appear in no log line and no
// metric, whatever the call's outcome.
func TestWebhookTokenIsNeverLoggedNorMeasured(t *testing.T) {
	f := newWebhookFixture(newHarness(t, sqliteURI(t)))
	plain := f.createWebhook(f.base, nil)
	signed := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"signed": true}})
	plainPath, signedPath := f.webhookPath(plain), f.webhookPath(signed)

	f.do(t, "POST", plainPath, "", "x").expect(t, 200)
	f.do(t, "POST", signedPath, "", "x").expect(t, 401)
	signedCall(f.harness, signedPath, signed.Secret, "x", time.Now()).expect(t, 200)
	f.do(t, "PUT", f.base+"/"+plain.ID, "member-a", map[string]any{"enabled": false}).expect(t, 200)
	f.do(t, "POST", plainPath, "", "x").expect(t, 404)
	f.fake.SetDown(true)
	f.do(t, "POST", signedPath, "", "x").expect(t, 401)
	f.do(t, "POST", f.webhookPath(f.createWebhook(f.base, nil)), "", "x").expect(t, 502)
	f.fake.SetDown(false)
	metrics := string(f.do(t, "GET", "/metrics", "", nil).expect(t, 200).Body)

	logs := f.logs.String()
	if !strings.Contains(logs, `"route":"/webhooks/{token}"`) || !strings.Contains(metrics, `route="/webhooks/{token}"`) {
		t.Fatalf("webhook calls are not logged and measured by template:\n%s", logs)
	}
	for _, path := range []string{plainPath, signedPath} {
		token := strings.TrimPrefix(path, "/webhooks/")
		// Any 16 characters of a token would be too many.
		for i := 0; i+16 <= len(token); i++ {
			if part := token[i : i+16]; strings.Contains(logs, part) || strings.Contains(metrics, part) {
				t.Fatalf("part %q of a webhook token appears in the logs or metrics", part)
			}
		}
	}
	if secret := signed.Secret; strings.Contains(logs, secret) {
		t.Fatal("an HMAC secret appears in the logs")
	}
}

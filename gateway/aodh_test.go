package gateway_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// Aodh's REST notifier bodies (docs/aodh.md, "The request"): a
// threshold alarm and an event alarm, byte for byte as python's json.dumps
// writes them.
var aodhBodies = map[string]string{
	"threshold": `{"alarm_name": "cpu_high", "alarm_id": "8d1c4b7e-3f2a-4c6d-9e8f-0a1b2c3d4e5f", "severity": "low", ` +
		`"previous": "ok", "current": "alarm", ` +
		`"reason": "Transition to alarm due to 1 samples outside threshold, most recent: 97.5", ` +
		`"reason_data": {"type": "threshold", "disposition": "outside", "count": 1, "most_recent": 97.5}}`,
	"event": `{"alarm_name": "object_put", "alarm_id": "0f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918", "severity": "moderate", ` +
		`"previous": "insufficient data", "current": "alarm", ` +
		`"reason": "Event <id=5b7d0c2e-9a41-4f4e-8d8e-2f0c1a3b4c5d,event_type=objectstore.http.request> hits the query <query=[]>.", ` +
		`"reason_data": {"type": "event", "event": {"message_id": "5b7d0c2e-9a41-4f4e-8d8e-2f0c1a3b4c5d", ` +
		`"event_type": "objectstore.http.request", "generated": "2026-08-01T12:00:00.000000", ` +
		`"traits": [["project_id", 1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]], "raw": {}}}}`,
}

// notifyLikeAodh POSTs body to url exactly as Aodh's REST notifier does
// for a plain http(s) action: python-requests' headers, no token, and a
// fresh request id; it returns the response, the request id and how long
// the answer took.
func notifyLikeAodh(t *testing.T, url, body string) (*http.Response, []byte, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	requestID := "req-" + uuid.NewString()
	for name, value := range map[string]string{
		"content-type":           "application/json",
		"x-openstack-request-id": requestID,
		"User-Agent":             "python-requests/2.31.0",
		"Accept":                 "*/*",
		"Accept-Encoding":        "gzip, deflate",
		"Connection":             "keep-alive",
	} {
		req.Header.Set(name, value)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, raw, requestID, time.Since(start)
}

func TestAodhNotificationsReachTheFunction(t *testing.T) {
	eachDB(t, func(t *testing.T, h *harness) {
		h.createApp(projA, "member-a", "alarm-notifier-app")
		public := h.createRoute(projA, "member-a", "alarm-notifier-app",
			map[string]any{"path": "/hello", "image": "iron/hello", "type": "async", "is_public": true})
		h.createRoute(projA, "member-a", "alarm-notifier-app",
			map[string]any{"path": "/private", "image": "iron/hello", "type": "async"})
		webhook := h.do(t, "POST", "/v1/"+projA+"/apps/alarm-notifier-app/routes/private/webhooks", "member-a", nil).
			expect(t, 200).decode(t).webhook(t)

		targets := map[string]struct{ url, route string }{
			"public route": {*public.PublicURL, "/hello"},
			// Aodh posts the action URL as stored, per-action options included.
			"webhook": {webhook.URL + "?aodh-alarm-ssl-verify=0", "/private"},
		}
		for targetName, target := range targets {
			for bodyName, body := range aodhBodies {
				t.Run(targetName+"/"+bodyName, func(t *testing.T) {
					before := len(h.fake.Calls())
					resp, raw, requestID, elapsed := notifyLikeAodh(t, target.url, body)
					if resp.StatusCode != http.StatusAccepted || !bytes.Contains(raw, []byte(`"call_id"`)) {
						t.Fatalf("status %d: %s", resp.StatusCode, raw)
					}
					if elapsed > time.Second {
						t.Errorf("answered after %s; Aodh waits without a timeout, so it must be fast", elapsed)
					}
					if got := resp.Header.Get("X-Openstack-Request-Id"); got != requestID {
						t.Errorf("response request id %q, want Aodh's %q", got, requestID)
					}
					calls := h.waitForCalls(before + 1)
					if len(calls) != before+1 {
						t.Fatalf("%d calls reached the function, want 1", len(calls)-before)
					}
					call := calls[before]
					if call.Route != target.route || string(call.Body) != body {
						t.Errorf("function %s got %q, want exactly Aodh's body", call.Route, call.Body)
					}
					if got := call.Header.Get("X-Openstack-Request-Id"); got != requestID {
						t.Errorf("function got request id %q, want Aodh's %q", got, requestID)
					}
					if got := call.Header.Get("Content-Type"); got != "application/json" {
						t.Errorf("function got Content-Type %q", got)
					}
				})
			}
		}
	})
}

// TestAodhTrustTokenRunsPrivateRoute does what Aodh's trust+http action
// does: a project member delegates to the service user through a trust,
// and the trust-scoped token calls the private URLs of the member's
// project (and no other project's).
func TestAodhTrustTokenRunsPrivateRoute(t *testing.T) {
	env := keystonetest.Connect(t)
	validator := newKeystoneValidator(t, env.ServiceOptions())
	h := newHarness(t, sqliteURI(t), withKeystone(validator))
	project, other := env.NewProject(t), env.NewProject(t)
	member := env.NewUser(t, project, "member")
	h.createApp(project.ID, member.Token(t), "alarms")
	h.createRoute(project.ID, member.Token(t), "alarms", map[string]any{"path": "/cpu", "image": "iron/echo", "type": "async"})

	trust := env.TrustToken(t, member)
	body := `{"alarm_name":"cpu_high","alarm_id":"8d1c","severity":"low","previous":"ok","current":"alarm","reason":"r","reason_data":{}}`
	for _, path := range []string{"/v1/r/" + project.ID + "/alarms/cpu", "/r/" + project.ID + "/alarms/cpu"} {
		h.do(t, "POST", path, trust, body, "Content-Type", "application/json").expect(t, 202)
	}
	calls := h.waitForCalls(2)
	if len(calls) != 2 || string(calls[0].Body) != body || calls[0].Header.Get("X-Project-Id") != project.ID {
		t.Fatalf("backend calls = %+v", calls)
	}
	h.do(t, "POST", "/r/"+other.ID+"/alarms/cpu", trust, body, "Content-Type", "application/json").expect(t, 403)
}

package trigger

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeNotification feeds arbitrary bodies to the decoder: it must
// never panic, a decoded notification belongs to at most one project, and
// no _context_* key other than the allow-listed ones reaches the event.
func FuzzDecodeNotification(f *testing.F) {
	f.Add([]byte(capturedCreateEnd))
	f.Add([]byte(`{"event_type": "x", "payload": {"tenant_id": "a"}, "_context_project_id": "b", "_context_auth_token": "T"}`))
	f.Add([]byte(`{"oslo.version": "2.0", "oslo.message": "{\"event_type\": \"x\", \"payload\": {\"nova_object.data\": {\"project_id\": 1}}}"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := DecodeNotification(body)
		if err != nil {
			return
		}
		if n.ownerKnown && (n.visibleTo(n.owner+"x", false) || !n.visibleTo(n.owner, false)) {
			t.Fatalf("owner %q but visibility disagrees", n.owner)
		}
		if !n.ownerKnown && n.visibleTo(n.owner, false) {
			t.Fatal("a notification of no project reached a tenant")
		}
		out, err := json.Marshal(notificationEvent{Notification: n})
		if err != nil {
			t.Fatalf("event does not encode: %v", err)
		}
		var ev map[string]json.RawMessage
		json.Unmarshal(out, &ev)
		for key := range ev {
			if strings.HasPrefix(key, "_context") {
				t.Fatalf("event leaks %s: %s", key, out)
			}
		}
		var ctx map[string]any
		json.Unmarshal(ev["context"], &ctx)
		for key := range ctx {
			switch key {
			case "project_id", "user_id", "request_id", "roles", "is_admin":
			default:
				t.Fatalf("context carries %s: %s", key, out)
			}
		}
	})
}

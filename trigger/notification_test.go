package trigger

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

// capturedCreateEnd is a compute.instance.create.end as oslo.messaging
// 14 put it on the wire (the envelope, with the message as a string).
const capturedCreateEnd = `{"oslo.version": "2.0", "oslo.message": "{\"message_id\": \"a9fc3e6f-5ca9-4b4d-9b70-9edf2cd1eb94\", \"publisher_id\": \"compute.host1\", \"event_type\": \"compute.instance.create.end\", \"priority\": \"INFO\", \"payload\": {\"tenant_id\": \"aaaa1111aaaa1111aaaa1111aaaa1111\", \"instance_id\": \"i-1\", \"state\": \"active\"}, \"timestamp\": \"2026-12-01 08:22:44.590011\", \"_unique_id\": \"638df6f55daa44939e363010e02b434e\", \"_context_user\": \"u1\", \"_context_project_id\": \"aaaa1111aaaa1111aaaa1111aaaa1111\", \"_context_is_admin\": false, \"_context_request_id\": \"req-c75b4222-385f-4157-a5b6-a9becd35569c\", \"_context_global_request_id\": null, \"_context_roles\": [], \"_context_system_scope\": null, \"_context_domain\": null}"}`

func TestDecodeNotification(t *testing.T) {
	n, err := DecodeNotification([]byte(capturedCreateEnd))
	if err != nil {
		t.Fatal(err)
	}
	if n.MessageID != "a9fc3e6f-5ca9-4b4d-9b70-9edf2cd1eb94" || n.EventType != "compute.instance.create.end" ||
		n.PublisherID != "compute.host1" || n.Timestamp != "2026-12-01T08:22:44.590011Z" || n.Priority != "INFO" {
		t.Fatalf("decoded %+v", n)
	}
	if !n.visibleTo(projectA, false) || n.visibleTo(projectB, false) || !n.visibleTo(projectB, true) {
		t.Fatal("visibility does not follow the owner")
	}
	want := RequestContext{ProjectID: projectA, UserID: "u1", RequestID: "req-c75b4222-385f-4157-a5b6-a9becd35569c", Roles: []string{}}
	if got, _ := json.Marshal(n.Context); string(got) != mustJSON(want) {
		t.Fatalf("context %s, want %s", got, mustJSON(want))
	}
	if !Matches(&picasso.TriggerFilter{EventTypes: []string{"compute.instance.*"}, Payload: map[string]any{"state": "active"}},
		n.EventType, n.payload) {
		t.Fatal("the filter does not match")
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestDecodeNotificationPoison(t *testing.T) {
	for _, body := range []string{
		`not json`, `[]`, `{"oslo.version": "3.0", "oslo.message": "{}"}`, `{"oslo.version": "2.0", "oslo.message": "nope"}`,
		`{"oslo.version": "2.0", "oslo.message": "{\"payload\": {}}"}`, // no event_type
	} {
		if _, err := DecodeNotification([]byte(body)); !picasso.IsCode(err, picasso.EINVALID) {
			t.Errorf("DecodeNotification(%s) = %v, want EINVALID", body, err)
		}
	}
}

func TestProjectRule(t *testing.T) {
	const a, b = "aaaa", "bbbb"
	for _, tc := range []struct {
		name    string
		message string
		project string
		owned   bool
	}{
		{"payload and context agree", `{"payload": {"tenant_id": "aaaa"}, "_context_project_id": "aaaa"}`, a, true},
		{"payload only", `{"payload": {"project_id": "bbbb"}}`, b, true},
		{"context only", `{"payload": {}, "_context_tenant": "aaaa"}`, a, true},
		{"nested versioned payload", `{"payload": {"nova_object.data": {"tenant_id": "bbbb"}}, "_context_project_id": "bbbb"}`, b, true},
		{"context and payload disagree", `{"payload": {"tenant_id": "bbbb"}, "_context_project_id": "aaaa"}`, "", false},
		{"nested disagrees with top", `{"payload": {"tenant_id": "aaaa", "nova_object.data": {"project_id": "bbbb"}}}`, "", false},
		{"two context fields disagree", `{"_context_project_id": "aaaa", "_context_tenant": "bbbb"}`, "", false},
		{"tenant_id and project_id disagree", `{"payload": {"tenant_id": "aaaa", "project_id": "bbbb"}}`, "", false},
		{"no project field", `{"payload": {"resource_info": "x"}, "_context_user": "u"}`, "", false},
		{"null and empty are absent", `{"payload": {"tenant_id": null, "project_id": ""}, "_context_project_id": "aaaa"}`, a, true},
		{"non-string field", `{"payload": {"tenant_id": 7}, "_context_project_id": "aaaa"}`, "", false},
	} {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(tc.message), &fields); err != nil {
			t.Fatal(err)
		}
		payload, _ := decodeJSON(orNull(fields["payload"]))
		project, owned := ProjectRule(payload, fields)
		if project != tc.project || owned != tc.owned {
			t.Errorf("%s: ProjectRule = %q, %v; want %q, %v", tc.name, project, owned, tc.project, tc.owned)
		}
	}
}

func orNull(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}

func TestContextIsAllowListed(t *testing.T) {
	inner := `{"event_type": "x", "payload": {}, "_context_auth_token": "TOKEN", "_context_service_catalog": [1],` +
		` "_context_user_id": "u", "_context_roles": ["admin"], "_context_is_admin": true, "_context_password": "p"}`
	body, _ := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": inner})
	n, err := DecodeNotification(body)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(notificationEvent{Notification: n})
	for _, secret := range []string{"TOKEN", "catalog", "password", "_context"} {
		if strings.Contains(string(out), secret) {
			t.Fatalf("event carries %q: %s", secret, out)
		}
	}
	if n.Context.UserID != "u" || !n.Context.IsAdmin || len(n.Context.Roles) != 1 {
		t.Fatalf("context %+v", n.Context)
	}
}

func TestMatches(t *testing.T) {
	payload, _ := decodeJSON([]byte(`{"state": "active", "vcpus": 2, "nova_object.data": {"host": "h1"}, "ok": true}`))
	for _, tc := range []struct {
		filter picasso.TriggerFilter
		want   bool
	}{
		{picasso.TriggerFilter{}, true},
		{picasso.TriggerFilter{EventTypes: []string{"compute.instance.*"}}, true},
		{picasso.TriggerFilter{EventTypes: []string{"volume.*", "compute.*.end"}}, true},
		{picasso.TriggerFilter{EventTypes: []string{"compute.instance.create"}}, false},
		{picasso.TriggerFilter{Payload: map[string]any{"state": "active", "vcpus": 2.0}}, true},
		{picasso.TriggerFilter{Payload: map[string]any{"vcpus": json.Number("2")}}, true},
		{picasso.TriggerFilter{Payload: map[string]any{"nova_object.data/host": "h1", "ok": true}}, true},
		{picasso.TriggerFilter{Payload: map[string]any{"state": "error"}}, false},
		{picasso.TriggerFilter{Payload: map[string]any{"missing": nil}}, false},
		{picasso.TriggerFilter{Payload: map[string]any{"vcpus": "2"}}, false},
	} {
		if got := Matches(&tc.filter, "compute.instance.create.end", payload); got != tc.want {
			t.Errorf("Matches(%+v) = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

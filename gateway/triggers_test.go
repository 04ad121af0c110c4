package gateway_test

import (
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

func withBrokers(cfg *gateway.Config, _ *gateway.Deps) {
	cfg.EventBrokers = map[string]picasso.TriggerSourceType{"bus": picasso.SourceAMQP, "stream": picasso.SourceNATS}
	cfg.Notifications = true
}

func amqpTrigger(name, queue string) map[string]any {
	return map[string]any{"trigger": map[string]any{"name": name, "app": "events", "route_path": "/on-event",
		"source": map[string]any{"type": "amqp", "broker": "bus", "queue": queue}}}
}

func TestTriggerLifecycle(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withBrokers)
	h.createApp(projA, "member-a", "events")
	h.createRoute(projA, "member-a", "events", map[string]any{"path": "/on-event", "image": "iron/echo"})
	base := "/v1/" + projA + "/triggers"
	ownQueue := picasso.TenantBrokerPrefix(projA) + "orders"

	h.do(t, "POST", base, "reader-a", amqpTrigger("t", ownQueue)).expect(t, 403)
	h.do(t, "POST", base, "member-b", amqpTrigger("t", ownQueue)).expect(t, 403)
	h.do(t, "POST", base, "", amqpTrigger("t", ownQueue)).expect(t, 401)

	created := h.do(t, "POST", base, "member-a", amqpTrigger("orders", ownQueue)).expect(t, 200).JSON(t)["trigger"].(map[string]any)
	id := created["id"].(string)
	status := created["status"].(map[string]any)
	if created["app"] != "events" || created["route_path"] != "/on-event" || created["enabled"] != true ||
		created["admin"] != false || status["messages_received"] != 0.0 || status["last_error_at"] != nil {
		t.Fatalf("created %v", created)
	}
	h.do(t, "GET", base+"/"+id, "reader-a", nil).expect(t, 200)
	h.do(t, "GET", "/v1/"+projB+"/triggers/"+id, "member-b", nil).expect(t, 404)
	list := h.do(t, "GET", base, "reader-a", nil).expect(t, 200).JSON(t)["triggers"].([]any)
	if len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	h.do(t, "POST", base, "member-a", amqpTrigger("orders", ownQueue)).expect(t, 409)

	updated := h.do(t, "PUT", base+"/"+id, "member-a", map[string]any{"trigger": map[string]any{"enabled": false,
		"filter": map[string]any{"event_types": []string{"orders.*"}, "payload": map[string]any{"n": 1}}}}).
		expect(t, 200).JSON(t)["trigger"].(map[string]any)
	if updated["enabled"] != false || updated["filter"].(map[string]any)["payload"].(map[string]any)["n"] != 1.0 {
		t.Fatalf("updated %v", updated)
	}
	h.do(t, "PUT", base+"/"+id, "reader-a", map[string]any{"trigger": map[string]any{"enabled": true}}).expect(t, 403)
	h.do(t, "DELETE", base+"/"+id, "member-a", nil).expect(t, 200)
	h.do(t, "GET", base+"/"+id, "member-a", nil).expect(t, 404)
}

func TestTriggerSourcesAreRefusedOutsideTheProject(t *testing.T) {
	h := newHarness(t, sqliteURI(t), withBrokers)
	h.createApp(projA, "member-a", "events")
	h.createRoute(projA, "member-a", "events", map[string]any{"path": "/on-event", "image": "iron/echo"})
	base := "/v1/" + projA + "/triggers"
	for _, tc := range []struct {
		name, message string
		body          map[string]any
	}{
		{"another project's queue", `must start with "picasso.` + projA + `."`,
			amqpTrigger("t", picasso.TenantBrokerPrefix(projB)+"orders")},
		{"a shared queue", "must start with", amqpTrigger("t", "notifications.info")},
		{"another project's subject", "must start with", map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
			"route_path": "/on-event", "source": map[string]any{"type": "nats", "broker": "stream", "subject": picasso.TenantBrokerPrefix(projB) + ">"}}}},
		{"an unknown broker", `No amqp broker named "elsewhere"`, map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
			"route_path": "/on-event", "source": map[string]any{"type": "amqp", "broker": "elsewhere", "queue": picasso.TenantBrokerPrefix(projA) + "q"}}}},
		{"a broker of the wrong type", `No nats broker named "bus"`, map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
			"route_path": "/on-event", "source": map[string]any{"type": "nats", "broker": "bus", "subject": picasso.TenantBrokerPrefix(projA) + "x"}}}},
		{"a URL instead of a broker name", "", map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
			"route_path": "/on-event", "source": map[string]any{"type": "amqp", "url": "amqp://evil/", "queue": "q"}}}},
		{"a filter value that is an object", "", map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
			"route_path": "/on-event", "source": map[string]any{"type": "openstack"}, "filter": map[string]any{"payload": map[string]any{"a": map[string]any{}}}}}},
	} {
		resp := h.do(t, "POST", base, "member-a", tc.body).expect(t, 400)
		if !strings.Contains(resp.ErrorMessage(t), tc.message) {
			t.Errorf("%s: message %q does not say %q", tc.name, resp.ErrorMessage(t), tc.message)
		}
	}
	h.do(t, "POST", base, "member-a", map[string]any{"trigger": map[string]any{"name": "t", "app": "nope", "route_path": "/on-event",
		"source": map[string]any{"type": "openstack"}}}).expect(t, 404)
	h.do(t, "POST", base, "member-a", map[string]any{"trigger": map[string]any{"name": "t", "app": "events", "route_path": "/nope",
		"source": map[string]any{"type": "openstack"}}}).expect(t, 404)

	// An administrator may name any queue; a tenant who then edits the
	// trigger is confined again.
	created := h.do(t, "POST", base, "admin", amqpTrigger("ops", "notifications.audit")).expect(t, 200).JSON(t)["trigger"].(map[string]any)
	if created["admin"] != true {
		t.Fatalf("created by an administrator: %v", created)
	}
	h.do(t, "PUT", base+"/"+created["id"].(string), "member-a", map[string]any{"trigger": map[string]any{"enabled": false}}).expect(t, 400)
}

func TestOpenStackTriggersNeedNotifications(t *testing.T) {
	h := newHarness(t, sqliteURI(t))
	h.createApp(projA, "member-a", "events")
	h.createRoute(projA, "member-a", "events", map[string]any{"path": "/on-event", "image": "iron/echo"})
	resp := h.do(t, "POST", "/v1/"+projA+"/triggers", "member-a", map[string]any{"trigger": map[string]any{"name": "t", "app": "events",
		"route_path": "/on-event", "source": map[string]any{"type": "openstack"}}}).expect(t, 400)
	if !strings.Contains(resp.ErrorMessage(t), "does not consume OpenStack notifications") {
		t.Fatal(resp.ErrorMessage(t))
	}
}

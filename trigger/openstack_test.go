package trigger

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/amqp"
	"github.com/picasso-faas/picasso/internal/brokertest"
	"github.com/picasso-faas/picasso/internal/testenv"
)

// debianPython is the interpreter that has python3-oslo.messaging (a
// python3 earlier on PATH may not).
const debianPython = "/usr/bin/python3"

// emit publishes notifications through oslo.messaging's Notifier, as a
// service configured with driver = messagingv2 does.
func emit(t *testing.T, amqpURL, exchange, topic string, notifications []map[string]any) {
	t.Helper()
	in, _ := json.Marshal(notifications)
	rabbitURL := "rabbit://" + strings.TrimPrefix(amqpURL, "amqp://")
	cmd := exec.Command(debianPython, "testdata/emit.py", rabbitURL, exchange, topic, "compute.host1")
	cmd.Stdin = bytes.NewReader(in)
	if out, err := cmd.CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("No module named 'oslo_messaging'")) {
			testenv.Unavailable(t, "python3-oslo.messaging: %s", out)
		}
		t.Fatalf("emit notifications: %v\n%s", err, out)
	}
}

func notification(ctx map[string]any, eventType string, payload map[string]any) map[string]any {
	return map[string]any{"context": ctx, "event_type": eventType, "payload": payload}
}

func TestOpenStackNotificationsReachTheirProjectOnly(t *testing.T) {
	url := brokertest.AMQPURL(t)
	exchange := brokertest.Unique("picasso_test_nova_")
	topic := brokertest.Unique("picasso_test_notifications_")
	queue := brokertest.Unique("picasso_test_notify_")
	// The publisher declares "<topic>.info" for the cloud's own consumers;
	// this test's topic is unique, so that queue is too.
	brokertest.DeleteAMQP(t, url, []string{queue, queue + amqp.DeadLetterSuffix, topic + ".info"},
		[]string{exchange, queue + amqp.DeadLetterSuffix})
	f := newFixture(t, Config{
		Brokers:       map[string]Broker{"notifications": amqpBroker(t, url)},
		Notifications: NotificationConfig{Broker: "notifications", Exchanges: []string{exchange}, Topics: []string{topic}, Queue: queue},
	})
	openstack := picasso.TriggerSource{Type: picasso.SourceOpenStack}
	trA := f.trigger(projectA, false, openstack, picasso.TriggerFilter{EventTypes: []string{"compute.instance.*"}})
	trB := f.trigger(projectB, false, openstack, picasso.TriggerFilter{})
	trAdmin := &picasso.Trigger{ProjectID: projectB, Name: "admin", AppID: f.routes[projectB], RoutePath: "/on-event",
		Source: openstack, Enabled: true, Admin: true}
	if err := f.store.CreateTrigger(t.Context(), trAdmin, picasso.Unlimited); err != nil {
		t.Fatal(err)
	}
	m, _ := f.start(f.queue)
	brokertest.WaitQueue(t, url, queue, 1)
	for end := time.Now().Add(20 * time.Second); len(m.notificationTriggers()) != 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the manager never loaded the openstack triggers")
		}
	}

	userCtx := func(project string) map[string]any {
		return map[string]any{"project_id": project, "user_id": "u1", "request_id": "req-1", "roles": []string{"member"},
			"auth_token": "SECRET-TOKEN-1"}
	}
	emit(t, url, exchange, topic, []map[string]any{
		// A's own server: A's trigger and the administrator's.
		notification(userCtx(projectA), "compute.instance.create.end", map[string]any{"tenant_id": projectA, "instance_id": "i-1"}),
		// Forged: the context says A, the payload B. Disagreeing fields
		// make it nobody's: the administrator's trigger only.
		notification(userCtx(projectA), "compute.instance.delete.end", map[string]any{"tenant_id": projectB}),
		// A versioned payload of B's, nested: B and the administrator.
		notification(userCtx(projectB), "compute.instance.update", map[string]any{
			"nova_object.name": "InstanceUpdatePayload", "nova_object.data": map[string]any{"tenant_id": projectB}}),
		// No project field at all: the administrator's trigger only.
		notification(map[string]any{}, "identity.project.created", map[string]any{"resource_info": "p-1"}),
	})
	// A message from an older service whose context carries credentials.
	inner, _ := json.Marshal(map[string]any{
		"message_id": "legacy-1", "event_type": "compute.instance.create.end", "publisher_id": "compute.old",
		"priority": "INFO", "timestamp": "2026-12-01 08:22:44.590011", "payload": map[string]any{"project_id": projectA},
		"_context_project_id": projectA, "_context_auth_token": "SECRET-TOKEN-2",
		"_context_service_catalog": []any{map[string]any{"type": "compute"}}, "_context_user": "u2"})
	envelope, _ := json.Marshal(map[string]string{"oslo.version": "2.0", "oslo.message": string(inner)})
	publish(t, brokertest.AMQPChannel(t, url), exchange, topic+".info", "", envelope)

	// Garbage on the bus is dead-lettered, not retried.
	publish(t, brokertest.AMQPChannel(t, url), exchange, topic+".error", "", []byte(`{"oslo.version": "2.0", "oslo.message": "{not json"}`))

	f.status(trAdmin, func(s picasso.TriggerStatus) bool { return s.CallsCreated == 5 })
	for end := time.Now().Add(20 * time.Second); brokertest.QueueState(t, url, queue+amqp.DeadLetterSuffix).Messages != 1; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the undecodable notification was not dead-lettered")
		}
	}
	byTrigger := map[string][]map[string]any{}
	for _, c := range f.queue.Calls() {
		if strings.Contains(string(c.Request.Body), "SECRET-TOKEN") || strings.Contains(string(c.Request.Body), "catalog") {
			t.Fatalf("a function would see credentials: %s", c.Request.Body)
		}
		ev := event(t, c)
		id := ev["trigger"].(map[string]any)["id"].(string)
		byTrigger[id] = append(byTrigger[id], ev)
	}
	eventTypes := func(evs []map[string]any) (types []string) {
		for _, ev := range evs {
			types = append(types, ev["event_type"].(string))
		}
		return types
	}
	if got := eventTypes(byTrigger[trA.ID]); len(got) != 2 || got[0] != "compute.instance.create.end" || got[1] != got[0] {
		t.Fatalf("A's trigger got %v, want its two create.end", got)
	}
	if got := eventTypes(byTrigger[trB.ID]); len(got) != 1 || got[0] != "compute.instance.update" {
		t.Fatalf("B's trigger got %v, want only its update", got)
	}
	if got := byTrigger[trAdmin.ID]; len(got) != 5 {
		t.Fatalf("the administrator's trigger got %v, want all 5", eventTypes(got))
	}
	first := byTrigger[trA.ID][0]
	ctx := first["context"].(map[string]any)
	if first["publisher_id"] != "compute.host1" || first["message_id"] == "" || ctx["project_id"] != projectA ||
		ctx["user_id"] != "u1" || ctx["request_id"] != "req-1" {
		t.Fatalf("event %v", first)
	}
	legacy := byTrigger[trA.ID][1]
	if legacy["message_id"] != "legacy-1" || legacy["timestamp"] != "2026-12-01T08:22:44.590011Z" {
		t.Fatalf("legacy event %v", legacy)
	}
	if st := f.status(trB, func(picasso.TriggerStatus) bool { return true }); st.MessagesReceived != 1 {
		t.Fatalf("B's trigger received %d notifications, want 1", st.MessagesReceived)
	}
}

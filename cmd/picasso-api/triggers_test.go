package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/amqp"
	"github.com/picasso-faas/picasso/internal/brokertest"
)

// TestAMQPMessageRunsTheRouteOnce is the whole path on the real pieces:
// a trigger made through the API, a message on the real RabbitMQ, the
// call recorded by the execution core and run by the local runtime.
func TestAMQPMessageRunsTheRouteOnce(t *testing.T) {
	url := brokertest.AMQPURL(t)
	queue := brokertest.Unique(picasso.TenantBrokerPrefix(project) + "q")
	brokertest.DeleteAMQP(t, url, []string{queue, queue + amqp.DeadLetterSuffix}, []string{queue + amqp.DeadLetterSuffix})
	s := start(t, nil, append(devArgs(t), "--event-broker", "bus="+url, "--trigger-refresh", "100ms")...)

	s.mustRequest(t, "POST", "/v1/"+project+"/apps", `{"app": {"name": "events"}}`)
	s.mustRequest(t, "POST", "/v1/"+project+"/apps/events/routes", `{"route": {"path": "/echo", "image": "echo"}}`)
	s.mustRequest(t, "POST", "/v1/"+project+"/triggers", `{"trigger": {"name": "orders", "app": "events", "route_path": "/echo",
		"source": {"type": "amqp", "broker": "bus", "queue": "`+queue+`"}}}`)
	brokertest.WaitQueue(t, url, queue, 1)

	ch := brokertest.AMQPChannel(t, url)
	for range 2 { // the second is the same message again: no second run
		confirm, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), "", queue, false, false,
			amqp091.Publishing{MessageId: "order-42", DeliveryMode: amqp091.Persistent, Body: []byte(`{"order": 42}`)})
		if err != nil || !confirm.Wait() {
			t.Fatalf("publish: %v", err)
		}
	}
	var calls []map[string]any
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, _, body := s.request(t, "GET", "/v1/"+project+"/calls", "")
		var list struct{ Calls []map[string]any }
		json.Unmarshal([]byte(body), &list)
		calls = list.Calls
		if len(calls) == 1 && calls[0]["status"] == "succeeded" {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("calls %s", body)
		}
	}
	var got struct{ Call map[string]any }
	json.Unmarshal([]byte(s.mustRequest(t, "GET", "/v1/"+project+"/calls/"+calls[0]["id"].(string), "")), &got)
	if result, _ := got.Call["result"].(string); got.Call["trigger"] != "event" || !strings.Contains(result, `"data":{"order":42}`) ||
		!strings.Contains(result, `"message_id":"order-42"`) {
		t.Fatalf("call %v", got.Call)
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, _, body := s.request(t, "GET", "/v1/"+project+"/triggers", "")
		if strings.Contains(body, `"messages_received":2`) {
			if !strings.Contains(body, `"calls_created":1`) {
				t.Fatalf("trigger status %s", body)
			}
			break
		}
		if time.Now().After(end) {
			t.Fatalf("triggers %s", body)
		}
	}
	if _, _, body := s.request(t, "GET", "/v1/"+project+"/calls", ""); strings.Count(body, `"id"`) != 1 {
		t.Fatalf("the duplicate made a second call: %s", body)
	}
}

func (s *server) mustRequest(t *testing.T, method, path, body string) string {
	t.Helper()
	status, _, out := s.request(t, method, path, body)
	if status != 200 {
		t.Fatalf("%s %s: %d %s", method, path, status, out)
	}
	return out
}

func TestEventBrokerURLsStaySecret(t *testing.T) {
	env := map[string]string{"PICASSO_EVENT_BROKERS": "bus=amqp://u:broker-secret@127.0.0.1:1/ stream=nats://tok-secret@127.0.0.1:1"}
	var out bytes.Buffer
	run(context.Background(), []string{"picasso-api", "--help"}, func(k string) string { return env[k] }, &out, &out)
	if strings.Contains(out.String(), "broker-secret") || strings.Contains(out.String(), "tok-secret") || !strings.Contains(out.String(), "event-broker") {
		t.Fatalf("--help: %s", out.String())
	}
	cfg, err := parseConfig("picasso-api", nil, func(k string) string { return env[k] }, &out)
	if err != nil || len(cfg.Triggers.Brokers) != 2 {
		t.Fatalf("brokers from the environment: %v, %v", cfg, err)
	}
	if got := cfg.Triggers.Brokers.String(); got != "bus,stream" {
		t.Fatalf("the flag shows %q, want the names only", got)
	}
	for _, args := range [][]string{
		{"--event-broker", "bus=http://u:broker-secret@x/"},
		{"--event-broker", "bus"},
		{"--event-broker", "bus=nats://x:1", "--notification-exchanges", "nova", "--notification-broker", "bus"},
	} {
		_, err := parseConfig("picasso-api", args, func(string) string { return "" }, &out)
		if err == nil || strings.Contains(err.Error(), "broker-secret") {
			t.Errorf("%v: %v", args, err)
		}
	}
}

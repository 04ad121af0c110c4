package trigger

import (
	"context"
	"fmt"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/amqp"
	"github.com/picasso-faas/picasso/internal/brokertest"
)

func publish(t *testing.T, ch *amqp091.Channel, exchange, key, id string, body []byte) {
	t.Helper()
	confirm, err := ch.PublishWithDeferredConfirmWithContext(context.Background(), exchange, key, false, false, amqp091.Publishing{
		MessageId: id, ContentType: "application/json", DeliveryMode: amqp091.Persistent, Body: body})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if !confirm.Wait() {
		t.Fatal("publish not confirmed by the broker")
	}
}

// tenantQueue is a queue name in the project's prefix, removed (with its
// dead-letter queue and exchange) when the test ends.
func tenantQueue(t *testing.T, url, project string) string {
	q := brokertest.Unique(picasso.TenantBrokerPrefix(project) + "q")
	dead := q + amqp.DeadLetterSuffix
	brokertest.DeleteAMQP(t, url, []string{q, dead}, []string{dead})
	return q
}

func TestAMQPMessageBecomesOneCall(t *testing.T) {
	url := brokertest.AMQPURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}})
	queueA := tenantQueue(t, url, projectA)
	exchangeA := brokertest.Unique(picasso.TenantBrokerPrefix(projectA) + "ex")
	brokertest.DeleteAMQP(t, url, nil, []string{exchangeA})
	trA := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus",
		Exchange: exchangeA, RoutingKey: "orders.*", Queue: queueA}, picasso.TriggerFilter{})
	queueB := tenantQueue(t, url, projectB)
	f.trigger(projectB, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queueB},
		picasso.TriggerFilter{})
	f.start(f.queue)
	brokertest.WaitQueue(t, url, queueA, 1)
	brokertest.WaitQueue(t, url, queueB, 1)

	ch := brokertest.AMQPChannel(t, url)
	publish(t, ch, exchangeA, "orders.created", "m-1", []byte(`{"order":42}`))
	calls := f.queue.WaitFor(1, 20*time.Second)
	if len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
	call := calls[0]
	if call.ProjectID != projectA || call.AppID != f.routes[projectA] || call.RoutePath != "/on-event" ||
		call.Trigger != picasso.TriggerEvent || call.IdempotencyKey != IdempotencyKey(trA.ID, "m-1") {
		t.Fatalf("call %+v", call)
	}
	ev := event(t, call)
	if ev["source"] != "amqp" || ev["message_id"] != "m-1" || ev["routing_key"] != "orders.created" ||
		ev["exchange"] != exchangeA || ev["data"].(map[string]any)["order"] != 42.0 {
		t.Fatalf("event %v", ev)
	}

	// The same message again (a redelivery as the broker makes it, here
	// published twice) is not a second call.
	publish(t, ch, exchangeA, "orders.created", "m-1", []byte(`{"order":42}`))
	f.status(trA, func(s picasso.TriggerStatus) bool { return s.MessagesReceived == 2 })
	if n := len(f.queue.Calls()); n != 1 {
		t.Fatalf("%d calls after the duplicate, want 1", n)
	}
	// Another project's queue never reaches this project's route.
	publish(t, ch, "", queueB, "m-2", []byte(`{"b":true}`))
	calls = f.queue.WaitFor(2, 20*time.Second)
	if len(calls) != 2 || calls[1].ProjectID != projectB || calls[1].AppID != f.routes[projectB] {
		t.Fatalf("calls %+v", calls)
	}
	st := f.status(trA, func(s picasso.TriggerStatus) bool { return s.CallsCreated == 1 })
	if st.Failures != 0 || st.DeadLettered != 0 {
		t.Fatalf("status %+v", st)
	}
}

func TestAMQPPoisonIsDeadLettered(t *testing.T) {
	url := brokertest.AMQPURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}, MaxMessageBytes: 1024})
	queue := tenantQueue(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue},
		picasso.TriggerFilter{})
	f.start(f.queue)
	brokertest.WaitQueue(t, url, queue, 1)

	ch := brokertest.AMQPChannel(t, url)
	publish(t, ch, "", queue, "bad-1", []byte(`not json`))
	publish(t, ch, "", queue, "bad-2", []byte(`{"big":"`+string(make([]byte, 2000))+`"}`))
	publish(t, ch, "", queue, "good", []byte(`{}`))
	st := f.status(tr, func(s picasso.TriggerStatus) bool { return s.DeadLettered == 2 && s.CallsCreated == 1 })
	if st.LastError == "" {
		t.Fatalf("status %+v has no last error", st)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if q := brokertest.QueueState(t, url, queue+amqp.DeadLetterSuffix); q.Messages == 2 {
			break
		} else if time.Now().After(end) {
			t.Fatalf("dead-letter queue holds %d messages, want 2", q.Messages)
		}
	}
}

func TestAMQPRedeliveryAfterCrashIsNotASecondCall(t *testing.T) {
	url := brokertest.AMQPURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}})
	queue := tenantQueue(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue},
		picasso.TriggerFilter{})
	crashing := &blockingQueue{next: f.queue, committed: make(chan struct{})}
	_, kill := f.start(crashing)
	brokertest.WaitQueue(t, url, queue, 1)

	publish(t, brokertest.AMQPChannel(t, url), "", queue, "", []byte(`{"n":1}`))
	select {
	case <-crashing.committed:
	case <-time.After(20 * time.Second):
		t.Fatal("the call was never recorded")
	}
	kill() // before the ack
	f.start(f.queue)
	st := f.status(tr, func(s picasso.TriggerStatus) bool { return s.MessagesReceived == 2 })
	for end := time.Now().Add(20 * time.Second); brokertest.QueueState(t, url, queue).Messages != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the redelivered message was never acknowledged")
		}
	}
	if calls := f.queue.Calls(); len(calls) != 1 || st.CallsCreated != 0 || st.Failures != 0 {
		t.Fatalf("%d calls, status %+v; want exactly one call", len(calls), st)
	}
}

func TestDisablingATriggerStopsItsConsumer(t *testing.T) {
	url := brokertest.AMQPURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}})
	queue := tenantQueue(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue},
		picasso.TriggerFilter{})
	f.start(f.queue)
	brokertest.WaitQueue(t, url, queue, 1)
	tr.Enabled = false
	if err := f.store.UpdateTrigger(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); brokertest.QueueState(t, url, queue).Consumers != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the disabled trigger still consumes")
		}
	}
	publish(t, brokertest.AMQPChannel(t, url), "", queue, "later", []byte(`{}`))
	tr.Enabled = true
	if err := f.store.UpdateTrigger(context.Background(), tr); err != nil {
		t.Fatal(err)
	}
	if calls := f.queue.WaitFor(1, 20*time.Second); len(calls) != 1 {
		t.Fatal("the message published while disabled was not consumed after enabling")
	}
	if err := f.store.DeleteTrigger(context.Background(), projectA, tr.ID); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); brokertest.QueueState(t, url, queue).Consumers != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the deleted trigger still consumes")
		}
	}
}

func TestAMQPRestartLosesNothing(t *testing.T) {
	t.Parallel() // the private node boots slowly; let the other tests run meanwhile
	server := brokertest.StartRabbitMQ(t)
	url := "amqp://guest:guest@" + server.Addr() + "/"
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}, Prefetch: 4, Workers: 2})
	queue := brokertest.Unique(picasso.TenantBrokerPrefix(projectA) + "q")
	f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue},
		picasso.TriggerFilter{})
	f.start(f.queue)
	brokertest.WaitQueue(t, url, queue, 1)

	const n = 40
	ch := brokertest.AMQPChannel(t, url)
	for i := range n / 2 {
		publish(t, ch, "", queue, fmt.Sprint("m", i), []byte(fmt.Sprintf(`{"i":%d}`, i)))
	}
	server.Stop()
	server.Start()
	ch = brokertest.AMQPChannel(t, url)
	for i := n / 2; i < n; i++ {
		publish(t, ch, "", queue, fmt.Sprint("m", i), []byte(fmt.Sprintf(`{"i":%d}`, i)))
	}
	wantEveryMessageOnce(t, f, n)
}

func TestAMQPReplicasShareTheQueue(t *testing.T) {
	url := brokertest.AMQPURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": amqpBroker(t, url)}, Prefetch: 2, Workers: 2})
	queue := tenantQueue(t, url, projectA)
	f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue},
		picasso.TriggerFilter{})
	f.start(f.queue)
	f.start(f.queue) // a second replica: competing consumers on one queue
	brokertest.WaitQueue(t, url, queue, 2)
	ch := brokertest.AMQPChannel(t, url)
	const n = 30
	for i := range n {
		publish(t, ch, "", queue, fmt.Sprint("m", i), []byte(fmt.Sprintf(`{"i":%d}`, i)))
	}
	wantEveryMessageOnce(t, f, n)
}

func amqpPublishing(id string) amqp091.Publishing {
	return amqp091.Publishing{MessageId: id, ContentType: "application/json", DeliveryMode: amqp091.Persistent,
		Body: []byte(`{"kind":"order","id":"` + id + `"}`)}
}

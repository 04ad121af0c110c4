package trigger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/brokertest"
	"github.com/picasso-faas/picasso/nats"
)

// natsStream names a stream and subject in the project's prefixes; the
// stream is removed when the test ends.
func natsStream(t *testing.T, url, project string) (stream, subject string) {
	stream = brokertest.Unique(picasso.TenantNamePrefix(project) + "s")
	subject = brokertest.Unique(picasso.TenantBrokerPrefix(project) + "events")
	t.Cleanup(func() {
		nc, err := natsgo.Connect(url)
		if err != nil {
			return
		}
		defer nc.Close()
		if js, err := jetstream.New(nc); err == nil {
			js.DeleteStream(context.Background(), stream)
		}
	})
	return stream, subject
}

func jsPublisher(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := natsgo.Connect(url, natsgo.MaxReconnects(-1), natsgo.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// waitStream polls until the consumer of the trigger made the stream.
func waitStream(t *testing.T, js jetstream.JetStream, stream string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if s, err := js.Stream(context.Background(), stream); err == nil {
			if s.CachedInfo().State.Consumers > 0 {
				return
			}
		}
		if time.Now().After(end) {
			t.Fatalf("stream %s was never consumed", stream)
		}
	}
}

func publishJS(t *testing.T, js jetstream.JetStream, subject, id, body string) {
	t.Helper()
	msg := natsgo.NewMsg(subject)
	msg.Data = []byte(body)
	if id != "" {
		msg.Header.Set(natsgo.MsgIdHdr, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Retried: during a broker restart the publish may fail once.
	for {
		_, err := js.PublishMsg(ctx, msg)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("publish: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNATSStreamMessageBecomesOneCall(t *testing.T) {
	url := brokertest.NATSURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": natsBroker(t, url)}})
	stream, subject := natsStream(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceNATS, Broker: "bus",
		Subject: subject, Stream: stream}, picasso.TriggerFilter{Payload: map[string]any{"kind": "order"}})
	f.start(f.queue)
	js := jsPublisher(t, url)
	waitStream(t, js, stream)

	publishJS(t, js, subject, "", `{"kind":"order","n":1}`)
	publishJS(t, js, subject, "", `{"kind":"other"}`) // filtered out
	publishJS(t, js, subject, "", `not json`)
	st := f.status(tr, func(s picasso.TriggerStatus) bool { return s.MessagesReceived == 3 && s.DeadLettered == 1 })
	calls := f.queue.Calls()
	if len(calls) != 1 || st.CallsCreated != 1 {
		t.Fatalf("%d calls, status %+v; want one", len(calls), st)
	}
	ev := event(t, calls[0])
	if ev["source"] != "nats" || ev["subject"] != subject || ev["message_id"] != stream+":1" {
		t.Fatalf("event %v", ev)
	}
	// The poison message was terminated, not left for redelivery.
	cons, err := js.Consumer(context.Background(), stream, "picasso_trigger_"+tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := cons.Info(context.Background())
		if err == nil && info.NumAckPending == 0 && info.NumPending == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("consumer still has messages pending: %+v", info)
		}
	}
}

func TestNATSRedeliveryAfterCrashIsNotASecondCall(t *testing.T) {
	url := brokertest.NATSURL(t)
	src, err := nats.New("bus", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The dying consumer hands the message back when its connection lets
	// it; when the connection closes first, JetStream redelivers after
	// AckWait, kept short so that either way the redelivery comes within
	// the wait below.
	src.AckWait = 2 * time.Second
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": {Type: picasso.SourceNATS, Source: src}}})
	stream, subject := natsStream(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceNATS, Broker: "bus", Subject: subject,
		Stream: stream}, picasso.TriggerFilter{})
	crashing := &blockingQueue{next: f.queue, committed: make(chan struct{})}
	_, kill := f.start(crashing)
	js := jsPublisher(t, url)
	waitStream(t, js, stream)
	publishJS(t, js, subject, "once", `{"n":1}`)
	select {
	case <-crashing.committed:
	case <-time.After(20 * time.Second):
		t.Fatal("the call was never recorded")
	}
	kill()
	f.start(f.queue)
	publishJS(t, js, subject, "twice", `{"n":2}`)
	// "once" is received twice (before the crash and redelivered after),
	// "twice" once.
	f.status(tr, func(s picasso.TriggerStatus) bool { return s.MessagesReceived == 3 })
	if calls := f.queue.Calls(); len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (one per message)", len(calls))
	}
}

func TestNATSRestartLosesNothing(t *testing.T) {
	server := brokertest.StartNATS(t)
	url := "nats://" + server.Addr()
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": natsBroker(t, url)}})
	stream, subject := natsStream(t, url, projectA)
	f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceNATS, Broker: "bus", Subject: subject,
		Stream: stream}, picasso.TriggerFilter{})
	f.start(f.queue)
	js := jsPublisher(t, url)
	waitStream(t, js, stream)

	const n = 40
	for i := range n / 2 {
		publishJS(t, js, subject, fmt.Sprint("m", i), fmt.Sprintf(`{"i":%d}`, i))
	}
	server.Stop()
	server.Start()
	for i := n / 2; i < n; i++ {
		publishJS(t, js, subject, fmt.Sprint("m", i), fmt.Sprintf(`{"i":%d}`, i))
	}
	wantEveryMessageOnce(t, f, n)
}

// wantEveryMessageOnce waits for n calls, one per message id.
func wantEveryMessageOnce(t *testing.T, f *fixture, n int) {
	t.Helper()
	calls := f.queue.WaitFor(n, 60*time.Second)
	seen := map[string]bool{}
	for _, c := range calls {
		id := event(t, c)["message_id"].(string)
		if seen[id] {
			t.Fatalf("message %s made two calls", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d of %d messages made a call", len(seen), n)
	}
}

func TestNATSCoreSubjectBecomesACall(t *testing.T) {
	url := brokertest.NATSURL(t)
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": natsBroker(t, url)}})
	subject := brokertest.Unique(picasso.TenantBrokerPrefix(projectA) + "core")
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceNATS, Broker: "bus", Subject: subject},
		picasso.TriggerFilter{})
	f.start(f.queue)
	nc, err := natsgo.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// Core NATS keeps nothing for absent subscribers: publish until the
	// trigger's queue subscription has received one.
	for end := time.Now().Add(20 * time.Second); len(f.queue.Calls()) == 0; time.Sleep(50 * time.Millisecond) {
		msg := natsgo.NewMsg(subject)
		msg.Header.Set(natsgo.MsgIdHdr, "core-1")
		msg.Data = []byte(`{"core":true}`)
		if err := nc.PublishMsg(msg); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(end) {
			t.Fatal("no call from the core subject")
		}
	}
	f.status(tr, func(s picasso.TriggerStatus) bool { return s.CallsCreated == 1 })
	if calls := f.queue.Calls(); len(calls) != 1 || event(t, calls[0])["message_id"] != "core-1" {
		t.Fatalf("calls %+v", calls)
	}
}

// hangingQueue records through next, then never returns from its first
// call until released: the replica hangs (or died) holding the message,
// without a negative acknowledgement.
type hangingQueue struct {
	next      picasso.CallQueue
	committed chan struct{}
	release   chan struct{}
	once      sync.Once
}

func (q *hangingQueue) Enqueue(ctx context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	call, created, err := q.next.Enqueue(ctx, rec)
	q.once.Do(func() {
		close(q.committed)
		<-q.release
		err = errors.New("released")
	})
	return call, created, err
}

func TestNATSMessageOfADeadReplicaIsRedeliveredOnce(t *testing.T) {
	url := brokertest.NATSURL(t)
	src, err := nats.New("bus", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.AckWait = time.Second
	f := newFixture(t, Config{Brokers: map[string]Broker{"bus": {Type: picasso.SourceNATS, Source: src}}})
	stream, subject := natsStream(t, url, projectA)
	tr := f.trigger(projectA, false, picasso.TriggerSource{Type: picasso.SourceNATS, Broker: "bus", Subject: subject,
		Stream: stream}, picasso.TriggerFilter{})
	dead := &hangingQueue{next: f.queue, committed: make(chan struct{}), release: make(chan struct{})}
	f.start(dead)
	t.Cleanup(func() { close(dead.release) }) // runs before the manager's stop
	js := jsPublisher(t, url)
	waitStream(t, js, stream)
	publishJS(t, js, subject, "held", `{"n":1}`)
	select {
	case <-dead.committed:
	case <-time.After(20 * time.Second):
		t.Fatal("the call was never recorded")
	}
	// A second replica gets the message once its AckWait has passed.
	f.start(f.queue)
	f.status(tr, func(s picasso.TriggerStatus) bool { return s.MessagesReceived == 2 })
	if calls := f.queue.Calls(); len(calls) != 1 {
		t.Fatalf("%d calls, want 1", len(calls))
	}
}

package trigger

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/execution"
	"github.com/picasso-faas/picasso/internal/brokertest"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/store"
)

// benchWorkers is the consumer's concurrency in the benchmark: enough to
// keep MariaDB's commits overlapping, the default of --trigger-workers.
const benchWorkers = 8

// countingQueue counts the calls its queue created.
type countingQueue struct {
	next    picasso.CallQueue
	created atomic.Int64
}

func (q *countingQueue) Enqueue(ctx context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	call, created, err := q.next.Enqueue(ctx, rec)
	if created {
		q.created.Add(1)
	}
	return call, created, err
}

// BenchmarkAMQPToRecordedCall measures messages per second from a
// RabbitMQ queue to calls committed on MariaDB by the execution core's
// Enqueuer: the messages wait in the queue first, then the trigger is
// enabled and the clock runs until the last one is recorded (and so may
// be acknowledged).
//
//	go test -run '^$' -bench AMQPToRecordedCall -benchtime 2000x ./trigger/
func BenchmarkAMQPToRecordedCall(b *testing.B) {
	url := brokertest.AMQPURL(b)
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.MySQLURI(b), store.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	app := &picasso.App{ProjectID: projectA, Name: "bench", BackendName: picasso.BackendName(projectA, "bench")}
	if err := db.CreateApp(ctx, app); err != nil {
		b.Fatal(err)
	}
	route := &picasso.Route{AppID: app.ID, Path: "/on-event", Image: "example/echo"}
	route.ApplyDefaults()
	if err := db.CreateRoute(ctx, route); err != nil {
		b.Fatal(err)
	}
	queue := brokertest.Unique(picasso.TenantBrokerPrefix(projectA) + "bench")
	brokertest.DeleteAMQP(b, url, []string{queue, queue + ".dead"}, []string{queue + ".dead"})
	tr := &picasso.Trigger{ProjectID: projectA, Name: "bench", AppID: app.ID, RoutePath: "/on-event",
		Source: picasso.TriggerSource{Type: picasso.SourceAMQP, Broker: "bus", Queue: queue}}
	if err := db.CreateTrigger(ctx, tr, picasso.Unlimited); err != nil {
		b.Fatal(err)
	}
	// Declare the queue (by consuming once) so that publishing fills it.
	ch := brokertest.AMQPChannel(b, url)
	if _, err := ch.QueueDeclare(queue+".dead", true, false, false, false, nil); err != nil {
		b.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, map[string]any{"x-dead-letter-exchange": queue + ".dead"}); err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		confirm, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, amqpPublishing(fmt.Sprint("m", i)))
		if err != nil || !confirm.Wait() {
			b.Fatalf("publish: %v", err)
		}
	}
	enqueuer := execution.NewEnqueuer(execution.EnqueuerConfig{}, db, db, nil)
	counted := &countingQueue{next: enqueuer}
	brokers := map[string]Broker{"bus": amqpBrokerB(b, url)}
	m := NewManager(Config{Brokers: brokers, Refresh: 20 * time.Millisecond, Workers: benchWorkers, Prefetch: 4 * benchWorkers}, db, counted, nil, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	b.ResetTimer()
	start := time.Now()
	tr.Enabled = true
	if err := db.UpdateTrigger(ctx, tr); err != nil {
		b.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Minute); counted.created.Load() < int64(b.N); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d messages recorded", counted.created.Load(), b.N)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

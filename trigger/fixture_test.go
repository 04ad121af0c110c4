package trigger

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/amqp"
	"github.com/picasso-faas/picasso/internal/calltest"
	"github.com/picasso-faas/picasso/nats"
	"github.com/picasso-faas/picasso/store"
)

const (
	projectA = "aaaa1111aaaa1111aaaa1111aaaa1111"
	projectB = "bbbb2222bbbb2222bbbb2222bbbb2222"
)

// fixture is a trigger table on SQLite with one app and route per
// project, a recording call queue, and managers started on demand.
type fixture struct {
	t      *testing.T
	store  *store.DB
	queue  *calltest.Recorder
	routes map[string]string // project → app id
	cfg    Config
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "picasso.db"), store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{t: t, store: db, queue: calltest.New(), routes: map[string]string{}, cfg: cfg}
	for _, project := range []string{projectA, projectB} {
		app := &picasso.App{ProjectID: project, Name: "events", BackendName: picasso.BackendName(project, "events")}
		if err := db.CreateApp(ctx, app); err != nil {
			t.Fatal(err)
		}
		route := &picasso.Route{AppID: app.ID, Path: "/on-event", Image: "example/echo"}
		route.ApplyDefaults()
		if err := db.CreateRoute(ctx, route); err != nil {
			t.Fatal(err)
		}
		f.routes[project] = app.ID
	}
	if f.cfg.Refresh == 0 {
		f.cfg.Refresh = 50 * time.Millisecond
	}
	return f
}

// trigger creates an enabled trigger of project on its route.
func (f *fixture) trigger(project string, admin bool, src picasso.TriggerSource, filter picasso.TriggerFilter) *picasso.Trigger {
	f.t.Helper()
	tr := &picasso.Trigger{ProjectID: project, Name: "t-" + src.Queue + src.Subject + string(src.Type), AppID: f.routes[project],
		RoutePath: "/on-event", Source: src, Filter: filter, Enabled: true, Admin: admin}
	if err := tr.Validate(); err != nil {
		f.t.Fatalf("invalid test trigger: %v", err)
	}
	if err := f.store.CreateTrigger(context.Background(), tr, picasso.Unlimited); err != nil {
		f.t.Fatal(err)
	}
	return tr
}

// start runs a manager over queue until the returned stop is called (or
// the test ends); stop waits until it has let go of every message.
func (f *fixture) start(queue picasso.CallQueue) (m *Manager, stop func()) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m = NewManager(f.cfg, f.store, queue, logger, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	f.t.Cleanup(stop)
	return m, stop
}

// status polls the trigger's status until ok accepts it.
func (f *fixture) status(tr *picasso.Trigger, ok func(picasso.TriggerStatus) bool) picasso.TriggerStatus {
	f.t.Helper()
	var st picasso.TriggerStatus
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		got, err := f.store.GetTrigger(context.Background(), tr.ProjectID, tr.ID)
		if err != nil {
			f.t.Fatal(err)
		}
		if st = got.Status; ok(st) {
			return st
		}
	}
	f.t.Fatalf("trigger %s status never as expected: %+v", tr.Name, st)
	return st
}

func amqpBroker(t *testing.T, url string) Broker {
	src, err := amqp.New("bus", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Broker{Type: picasso.SourceAMQP, Source: src}
}

func natsBroker(t *testing.T, url string) Broker {
	src, err := nats.New("bus", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Broker{Type: picasso.SourceNATS, Source: src}
}

// event decodes a recorded call's body.
func event(t *testing.T, call *picasso.CallRecord) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(call.Request.Body, &ev); err != nil {
		t.Fatalf("call body is not JSON: %v\n%s", err, call.Request.Body)
	}
	return ev
}

// blockingQueue records through next, then blocks the consumer forever
// (until released) on its first call: the process "dies" after the call
// was committed and before the broker ack.
type blockingQueue struct {
	next      picasso.CallQueue
	committed chan struct{}
	once      sync.Once
}

func (q *blockingQueue) Enqueue(ctx context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	call, created, err := q.next.Enqueue(ctx, rec)
	q.once.Do(func() {
		close(q.committed)
		<-ctx.Done()
		err = ctx.Err()
	})
	return call, created, err
}

func amqpBrokerB(b *testing.B, url string) Broker {
	src, err := amqp.New("bus", url, nil)
	if err != nil {
		b.Fatal(err)
	}
	return Broker{Type: picasso.SourceAMQP, Source: src}
}

package schedule

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testdb"
	"github.com/picasso-faas/picasso/store"
)

const project = "0123456789abcdef0123456789abcdef"

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *fakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// recordingQueue keeps enqueued calls in memory and honours idempotency
// keys per project, as the execution core does.
type recordingQueue struct {
	mu    sync.Mutex
	calls []*picasso.CallRecord
	byKey map[string]*picasso.CallRecord
	fail  error
}

func newRecordingQueue() *recordingQueue {
	return &recordingQueue{byKey: map[string]*picasso.CallRecord{}}
}

func (q *recordingQueue) Enqueue(_ context.Context, rec *picasso.CallRecord) (*picasso.CallRecord, bool, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return nil, false, q.fail
	}
	key := rec.ProjectID + "\x00" + rec.IdempotencyKey
	if old, ok := q.byKey[key]; ok {
		return old, false, nil
	}
	copied := *rec
	copied.Status = picasso.CallQueued
	q.calls = append(q.calls, &copied)
	q.byKey[key] = &copied
	return &copied, true, nil
}

func (q *recordingQueue) setFailure(err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.fail = err
}

// keys lists the idempotency keys of the calls, in enqueue order.
func (q *recordingQueue) keys() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	keys := make([]string, len(q.calls))
	for i, c := range q.calls {
		keys[i] = c.IdempotencyKey
	}
	return keys
}

var errQueueDown = errors.New("queue down")

// fixture is a store with one route, a clock and a queue.
type fixture struct {
	t     *testing.T
	db    *store.DB
	app   *picasso.App
	clock *fakeClock
	queue *recordingQueue
}

func newFixture(t *testing.T, uri string, now time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, uri, store.Options{AutoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	app := &picasso.App{ProjectID: project, Name: "cron", BackendName: picasso.BackendName(project, "cron")}
	if err := db.CreateApp(ctx, app); err != nil {
		t.Fatal(err)
	}
	route := &picasso.Route{AppID: app.ID, Path: "/job", Image: "job"}
	route.ApplyDefaults()
	if err := db.CreateRoute(ctx, route); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, db: db, app: app, clock: &fakeClock{now: now}, queue: newRecordingQueue()}
}

func newSQLiteFixture(t *testing.T, now time.Time) *fixture {
	return newFixture(t, testdb.SQLiteURI(t), now)
}

func (f *fixture) runner() *Runner {
	return NewRunner(Options{Store: f.db, Queue: f.queue, Clock: f.clock})
}

// create plans and stores a schedule of the fixture's route at the
// clock's now, as the API does.
func (f *fixture) create(s picasso.Schedule) *picasso.Schedule {
	f.t.Helper()
	s.ProjectID, s.AppID, s.RoutePath, s.Enabled = project, f.app.ID, "/job", true
	if s.Name == "" {
		s.Name = s.Pattern
	}
	if err := Plan(&s, f.clock.Now(), time.Second); err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.CreateSchedule(context.Background(), &s, picasso.Unlimited); err != nil {
		f.t.Fatal(err)
	}
	return &s
}

func (f *fixture) get(id string) *picasso.Schedule {
	f.t.Helper()
	s, err := f.db.GetSchedule(context.Background(), project, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// scan runs one scan of r and checks it fired want ticks.
func (f *fixture) scan(r *Runner, want int) {
	f.t.Helper()
	fired, err := r.Scan(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	if fired != want {
		f.t.Fatalf("scan at %v fired %d ticks, want %d (calls so far: %v)", f.clock.Now(), fired, want, f.queue.keys())
	}
}

package gateway_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/backend/ironfunctions"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/internal/testdb"
)

// secondReplica starts another gateway on the store of h and in front of
// the same backend, as a second replica behind a load balancer would be.
func secondReplica(t *testing.T, h *harness, uri string) *harness {
	t.Helper()
	backend, err := ironfunctions.New(h.fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return newHarness(t, uri, func(_ *gateway.Config, deps *gateway.Deps) { deps.Backend = backend })
}

func TestSignedWebhookReplayedToAnotherReplicaIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		one := newHarness(t, uri)
		two := secondReplica(t, one, uri)
		f := newWebhookFixture(one)
		created := f.createWebhook(f.base, map[string]any{"webhook": map[string]any{"signed": true}})
		path, secret := f.webhookPath(created), created.Secret
		body, now := `{"alarm_name":"cpu_high"}`, time.Now()
		calls := len(one.fake.Calls())

		signedCall(one, path, secret, body, now).expect(t, 200)
		msg := signedCall(two, path, secret, body, now).expect(t, 401).ErrorMessage(t)
		if !strings.Contains(msg, "replayed") {
			t.Errorf("the replay on the second replica answered %q", msg)
		}
		// The second replica does serve the webhook: a request signed anew passes.
		signedCall(two, path, secret, body, now.Add(-time.Second)).expect(t, 200)
		signedCall(one, path, secret, body, now.Add(-time.Second)).expect(t, 401)
		if got := len(one.fake.Calls()) - calls; got != 2 {
			t.Errorf("%d calls reached the backend, want the 2 distinct signed ones", got)
		}
	})
}

// readCounter counts the route reads of the gateway it serves.
type readCounter struct {
	picasso.Store
	reads atomic.Int64
}

func (c *readCounter) GetAppByBackendName(ctx context.Context, name string) (*picasso.App, error) {
	c.reads.Add(1)
	return c.Store.GetAppByBackendName(ctx, name)
}

func (c *readCounter) GetRoute(ctx context.Context, appID, path string) (*picasso.Route, error) {
	c.reads.Add(1)
	return c.Store.GetRoute(ctx, appID, path)
}

// TestAWriteOnOneReplicaDropsOnlyItsEntriesOnAnother: the second
// replica serves two routes from its cache; a change of one of them on
// the first replica reaches the second through the change feed, which
// reads that route again and keeps serving the other from memory.
func TestAWriteOnOneReplicaDropsOnlyItsEntriesOnAnother(t *testing.T) {
	testdb.Each(t, func(t *testing.T, uri string) {
		one := newHarness(t, uri)
		backend, err := ironfunctions.New(one.fake.URL(), ironfunctions.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		counter := &readCounter{}
		two := newHarness(t, uri, func(_ *gateway.Config, deps *gateway.Deps) {
			counter.Store = deps.Store
			deps.Store, deps.Backend = counter, backend
		})
		app := one.createApp(projA, "member-a", "cached")
		for _, path := range []string{"/hot", "/changed"} {
			one.createRoute(projA, "member-a", "cached", map[string]any{"path": path, "image": "iron/echo", "is_public": true})
		}
		public := "/r/" + app.BackendName
		// Until the second replica has read the creations from the feed,
		// they may still drop its entries: wait for the last one.
		two.do(t, "POST", public+"/sentinel", "", "x").expect(t, 404)
		one.createRoute(projA, "member-a", "cached", map[string]any{"path": "/sentinel", "image": "iron/echo", "is_public": true})
		waitUntil(t, func() bool { return two.do(t, "POST", public+"/sentinel", "", "x").Status == 200 })
		for _, path := range []string{"/hot", "/changed"} {
			two.do(t, "POST", public+path, "", "x").expect(t, 200)
		}
		steady := counter.reads.Load()
		two.do(t, "POST", public+"/hot", "", "x").expect(t, 200)
		two.do(t, "POST", public+"/changed", "", "x").expect(t, 200)
		if n := counter.reads.Load() - steady; n != 0 {
			t.Fatalf("cached calls read the store %d times", n)
		}

		one.do(t, "PUT", "/v1/"+projA+"/apps/cached/routes/changed", "member-a", map[string]any{"memory": 512}).expect(t, 200)
		waitUntil(t, func() bool {
			before := counter.reads.Load()
			two.do(t, "POST", public+"/changed", "", "x").expect(t, 200)
			return counter.reads.Load() > before
		})
		before := counter.reads.Load()
		two.do(t, "POST", public+"/hot", "", "x").expect(t, 200)
		if n := counter.reads.Load() - before; n != 0 {
			t.Fatalf("a change of /changed made /hot read the store %d times", n)
		}
	})
}

// waitUntil polls cond until it holds, failing the test after 20 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20 s")
		}
	}
}

package gateway_test

import (
	"strings"
	"testing"
	"time"

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
		path, secret := f.webhookPath(created), created["secret"].(string)
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

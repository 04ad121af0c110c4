package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/picasso-faas/picasso"
)

// The store failing right after the backend took a change: the gateway
// must put the backend back, so that neither side changed.
func TestStoreFailureAfterTheBackendIsUndone(t *testing.T) {
	cases := map[string]struct {
		fail    func(stub *storeStub)
		request func(h *harness) *response
	}{
		"update app": {
			fail: func(stub *storeStub) {
				stub.updateApp = func(context.Context, *picasso.App) error { return errStoreDown }
			},
			request: func(h *harness) *response {
				return h.do(t, "PUT", "/v1/"+projA+"/apps/orders", "member-a", map[string]any{"config": map[string]string{"K": "changed", "N": "new"}})
			},
		},
		"update route": {
			fail: func(stub *storeStub) {
				stub.updateRoute = func(context.Context, *picasso.Route) error { return errStoreDown }
			},
			request: func(h *harness) *response {
				return h.do(t, "PUT", "/v1/"+projA+"/apps/orders/routes/hello", "member-a", map[string]any{"memory": 256, "headers": map[string][]string{"X-New": {"1"}}})
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			stub := &storeStub{}
			h := newHarness(t, sqliteURI(t), withStore(stub))
			h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", map[string]any{"app": map[string]any{"name": "orders", "config": map[string]string{"K": "v"}}}).expect(t, 200)
			h.createRoute(projA, "member-a", "orders", map[string]any{"path": "/hello", "image": "iron/echo", "headers": map[string][]string{"X-Old": {"1"}}})
			before, backendWrites := h.state(t), countWrites(h)

			c.fail(stub)
			c.request(h).expectError(t, http.StatusServiceUnavailable)

			if writes := countWrites(h) - backendWrites; writes < 2 {
				t.Errorf("%d writes reached the backend, want the change and its undo", writes)
			}
			if after := h.state(t); after != before {
				t.Errorf("state changed although the request failed:\nbefore %s\nafter  %s", before, after)
			}
			if strings.Contains(h.logs.String(), "compensation failed") {
				t.Errorf("the undo is logged as failed:\n%s", h.logs)
			}
			h.expectInSync(t)
		})
	}
}

// An undo that fails itself leaves store and backend apart; the log must
// say so, name the step, and point at the repair.
func TestFailedUndoIsLoggedForReconcile(t *testing.T) {
	stub := &storeStub{deleteApp: func(context.Context, string) error { return errStoreDown }}
	h := newHarness(t, sqliteURI(t), withStore(stub))
	h.fake.FailNext(1, http.StatusInternalServerError)

	h.do(t, "POST", "/v1/"+projA+"/apps", "member-a", map[string]any{"app": map[string]any{"name": "orders"}}).expectError(t, http.StatusBadGateway)

	logs := h.logs.String()
	for _, want := range []string{"compensation failed", "run picasso-api reconcile", "delete app row"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if _, err := h.db.GetApp(context.Background(), projA, "orders"); err != nil {
		t.Errorf("the row whose removal failed is gone: %v", err)
	}
}

// countWrites is the number of management writes the backend received.
func countWrites(h *harness) int {
	n := 0
	for _, r := range h.fake.Requests() {
		if !strings.HasPrefix(r, "GET ") {
			n++
		}
	}
	return n
}

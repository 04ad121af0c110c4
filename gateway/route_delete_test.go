package gateway_test

import (
	"context"
	"net/url"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
)

// failingDeletes fails route deletes on the backend while fail is set.
type failingDeletes struct {
	picasso.Backend
	fail *atomic.Bool
}

func (b failingDeletes) DeleteRoute(ctx context.Context, app *picasso.App, path string) error {
	if b.fail.Load() {
		return picasso.Errorf(picasso.EBADGATEWAY, "backend refused the delete")
	}
	return b.Backend.DeleteRoute(ctx, app, path)
}

// A route delete the backend refuses changes nothing: the route with its
// timestamps, its webhooks, and the webhook URLs Aodh holds all stay.
func TestFailedRouteDeleteKeepsWebhooks(t *testing.T) {
	var fail atomic.Bool
	h := newHarness(t, sqliteURI(t), func(_ *gateway.Config, d *gateway.Deps) {
		d.Backend = failingDeletes{Backend: d.Backend, fail: &fail}
	})
	publicAndPrivate(h)
	routePath := "/v1/" + projA + "/apps/fns/routes/priv/x"
	hook := h.do(t, "POST", routePath+"/webhooks", "member-a", map[string]any{"webhook": map[string]any{"description": "aodh"}}).expect(t, 200).decode(t).webhook(t)
	hookURL, err := url.Parse(hook.URL)
	if err != nil {
		t.Fatal(err)
	}
	before := h.do(t, "GET", routePath, "member-a", nil).expect(t, 200).JSON(t)
	hooksBefore := h.do(t, "GET", routePath+"/webhooks", "member-a", nil).expect(t, 200).JSON(t)

	fail.Store(true)
	h.do(t, "DELETE", routePath, "member-a", nil).expect(t, 502)

	if after := h.do(t, "GET", routePath, "member-a", nil).expect(t, 200).JSON(t); !reflect.DeepEqual(after, before) {
		t.Errorf("the route changed:\nbefore %v\nafter  %v", before, after)
	}
	if after := h.do(t, "GET", routePath+"/webhooks", "member-a", nil).expect(t, 200).JSON(t); !reflect.DeepEqual(after, hooksBefore) {
		t.Errorf("the webhooks changed:\nbefore %v\nafter  %v", hooksBefore, after)
	}
	h.do(t, "POST", hookURL.Path, "", "alarm").expect(t, 200)
	h.expectInSync(t)

	fail.Store(false)
	h.do(t, "DELETE", routePath, "member-a", nil).expect(t, 200)
	h.do(t, "POST", hookURL.Path, "", "alarm").expect(t, 404)
	h.expectInSync(t)
}

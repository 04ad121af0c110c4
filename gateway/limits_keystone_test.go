package gateway_test

import (
	"log/slog"
	"testing"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/gateway"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
	"github.com/picasso-faas/picasso/quota"
)

// TestKeystoneLimitsEnforced: limits created with Keystone's admin API
// refuse creates and calls through the gateway, the project's own limit
// winning over the registered default. The test registers the limits
// under a catalog service of its own.
func TestKeystoneLimitsEnforced(t *testing.T) {
	env := keystonetest.Connect(t)
	service := env.NewService(t)
	service.RegisterLimit(t, string(picasso.ResourceApps), 2)
	service.RegisterLimit(t, string(picasso.ResourceConcurrency), 0)
	limited, plain := env.NewProject(t), env.NewProject(t)
	service.SetProjectLimit(t, limited, string(picasso.ResourceApps), 1)
	service.SetProjectLimit(t, limited, string(picasso.ResourceConcurrency), 5)

	opts := env.ServiceOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	reader, err := keystone.NewLimitReader(opts, keystone.LimitOptions{Service: service.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reader.Close)
	h := newHarness(t, sqliteURI(t), withKeystone(newKeystoneValidator(t, env.ServiceOptions())),
		func(_ *gateway.Config, d *gateway.Deps) {
			d.Limits = reader
			d.Gate = quota.NewGate(quota.GateOptions{Limits: reader})
		})
	limitedToken := env.NewUser(t, limited, "member").Token(t)
	plainToken := env.NewUser(t, plain, "member").Token(t)

	h.createApp(limited.ID, limitedToken, "one")
	resp := h.do(t, "POST", "/v1/"+limited.ID+"/apps", limitedToken, map[string]any{"app": map[string]any{"name": "two"}}).expect(t, 403)
	if msg := resp.ErrorMessage(t); msg != "Quota exceeded for function_apps: requested 1, but already used 1 of 1" {
		t.Errorf("message %q", msg)
	}
	h.createApp(plain.ID, plainToken, "one")
	h.createApp(plain.ID, plainToken, "two")
	h.do(t, "POST", "/v1/"+plain.ID+"/apps", plainToken, map[string]any{"app": map[string]any{"name": "three"}}).expect(t, 403)

	// The registered concurrency of 0 stops the plain project's calls;
	// the limited project's own 5 lets its calls through.
	h.createRoute(limited.ID, limitedToken, "one", map[string]any{"path": "/echo", "image": "iron/echo"})
	h.createRoute(plain.ID, plainToken, "one", map[string]any{"path": "/echo", "image": "iron/echo"})
	h.do(t, "POST", "/r/"+limited.ID+"/one/echo", limitedToken, "hi").expect(t, 200)
	h.do(t, "POST", "/r/"+plain.ID+"/one/echo", plainToken, "hi").expect(t, 429)

	view := h.do(t, "GET", "/v1/"+limited.ID+"/limits", limitedToken, nil).expect(t, 200).JSON(t)["limits"].(map[string]any)
	if got := compactJSON(t, view["function_apps"]); got != `{"limit":1,"used":1}` {
		t.Errorf("function_apps of the limited project: %s", got)
	}
}

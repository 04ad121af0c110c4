package keystone_test

import (
	"log/slog"
	"net/url"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/internal/testclock"
	"github.com/picasso-faas/picasso/keystone"
	"github.com/picasso-faas/picasso/keystone/keystonetest"
)

// These tests run against the real Keystone of scripts/keystone.sh, each
// with a catalog service of its own, so that their registered limits
// (global per service and resource) clash with nobody's.

const limitsTTL = time.Minute

var limitDefaults = map[picasso.Resource]int64{
	picasso.ResourceApps:        1,
	picasso.ResourceConcurrency: 4,
}

func newLimitReader(t *testing.T, env *keystonetest.Env, service *keystonetest.Service, clock *testclock.Clock,
	change func(*keystone.Options)) *keystone.LimitReader {
	t.Helper()
	opts := env.ServiceOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.Now = clock.Now
	if change != nil {
		change(&opts)
	}
	l, err := keystone.NewLimitReader(opts, keystone.LimitOptions{
		Service: service.Name, CacheTTL: limitsTTL, Defaults: limitDefaults,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func wantLimit(t *testing.T, l *keystone.LimitReader, project *keystonetest.Project, resource picasso.Resource, want int64) {
	t.Helper()
	got, err := l.Limit(t.Context(), project.ID, resource)
	if err != nil || got != want {
		t.Errorf("Limit(%s, %s) = %d, %v; want %d", project.Name, resource, got, err, want)
	}
}

// eventuallyLimit polls until the limit is want: a stale value is served
// while a background read refreshes it.
func eventuallyLimit(t *testing.T, l *keystone.LimitReader, project *keystonetest.Project, resource picasso.Resource, want int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := l.Limit(t.Context(), project.ID, resource)
		if err == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Limit(%s, %s) = %d, %v; want %d in time", project.Name, resource, got, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRealKeystoneLimits(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	service := env.NewService(t)
	service.RegisterLimit(t, string(picasso.ResourceApps), 5)
	service.RegisterLimit(t, string(picasso.ResourceRoutes), -1)
	limited, other := env.NewProject(t), env.NewProject(t)
	override := service.SetProjectLimit(t, limited, string(picasso.ResourceApps), 2)
	clock := testclock.New()
	l := newLimitReader(t, env, service, clock, nil)

	wantLimit(t, l, limited, picasso.ResourceApps, 2) // the project's own limit wins
	wantLimit(t, l, other, picasso.ResourceApps, 5)   // the registered default
	wantLimit(t, l, limited, picasso.ResourceRoutes, picasso.Unlimited)
	wantLimit(t, l, limited, picasso.ResourceConcurrency, 4)          // nothing in Keystone: the configured default
	wantLimit(t, l, limited, picasso.ResourceRate, picasso.Unlimited) // nothing anywhere

	t.Run("a change takes effect once the cache time is over", func(t *testing.T) {
		override.Update(t, 3)
		clock.Advance(limitsTTL - time.Second)
		wantLimit(t, l, limited, picasso.ResourceApps, 2)
		clock.Advance(2 * time.Second)
		eventuallyLimit(t, l, limited, picasso.ResourceApps, 3)
	})
	t.Run("a new override takes effect once the cache time is over", func(t *testing.T) {
		service.SetProjectLimit(t, other, string(picasso.ResourceApps), 7)
		clock.Advance(limitsTTL + time.Second)
		eventuallyLimit(t, l, other, picasso.ResourceApps, 7)
	})
}

func TestRealKeystoneLimitsOutage(t *testing.T) {
	t.Parallel()
	env := keystonetest.Connect(t)
	service := env.NewService(t)
	service.RegisterLimit(t, string(picasso.ResourceApps), 5)
	service.RegisterLimit(t, string(picasso.ResourceRoutes), 9)
	seen, unseen := env.NewProject(t), env.NewProject(t)
	override := service.SetProjectLimit(t, seen, string(picasso.ResourceApps), 2)
	u, err := url.Parse(env.AuthURL)
	if err != nil {
		t.Fatal(err)
	}
	fwd := newForwarder(t, u.Host)
	throughForwarder := func(o *keystone.Options) {
		o.AuthURL = "http://" + fwd.addr + u.Path
		// Generous: a shared Keystone may be slow to answer; a stopped
		// forwarder refuses connections at once anyway.
		o.Timeout = 20 * time.Second
	}
	clock := testclock.New()
	l := newLimitReader(t, env, service, clock, throughForwarder)
	wantLimit(t, l, seen, picasso.ResourceApps, 2)
	wantLimit(t, l, seen, picasso.ResourceRoutes, 9) // the registered limits are known too

	fwd.stop()
	override.Update(t, 3) // Keystone changes while Picasso cannot see it
	for range 3 {
		clock.Advance(limitsTTL + time.Second)
		// The refresh fails in the background; the last known value stays.
		wantLimit(t, l, seen, picasso.ResourceApps, 2)
	}
	// A project never read before gets the last known registered limit.
	wantLimit(t, l, unseen, picasso.ResourceApps, 5)

	t.Run("before Keystone ever answered, the configured defaults apply", func(t *testing.T) {
		fresh := newLimitReader(t, env, service, testclock.New(), throughForwarder)
		wantLimit(t, fresh, seen, picasso.ResourceApps, 1)
		wantLimit(t, fresh, seen, picasso.ResourceConcurrency, 4)
	})

	fwd.start(t)
	clock.Advance(limitsTTL + time.Second)
	eventuallyLimit(t, l, seen, picasso.ResourceApps, 3)
}

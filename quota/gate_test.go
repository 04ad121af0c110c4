package quota_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picasso-faas/picasso"
	"github.com/picasso-faas/picasso/quota"
)

const projectA, projectB = "aaaa", "bbbb"

// limits is a picasso.Limits whose values a test changes.
type limits struct {
	mu     sync.Mutex
	values map[string]quota.Defaults
}

func (l *limits) Limit(ctx context.Context, projectID string, resource picasso.Resource) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.values[projectID].Limit(ctx, projectID, resource)
}

func (l *limits) set(projectID string, resource picasso.Resource, limit int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.values[projectID][resource] = limit
}

func newLimits() *limits {
	return &limits{values: map[string]quota.Defaults{projectA: {}, projectB: {}}}
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) Advance(d time.Duration) { c.now = c.now.Add(d) }
func newClock() *clock                   { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func admit(t *testing.T, g *quota.Gate, projectID string) func() {
	t.Helper()
	release, err := g.Admit(context.Background(), projectID)
	if err != nil {
		t.Fatalf("Admit(%s): %v, want admitted", projectID, err)
	}
	return release
}

func wantRefused(t *testing.T, g *quota.Gate, projectID string, resource picasso.Resource, retryAfter time.Duration) {
	t.Helper()
	release, err := g.Admit(context.Background(), projectID)
	var limitErr *picasso.LimitError
	if !errors.As(err, &limitErr) || !picasso.IsCode(err, picasso.ETOOMANY) {
		if release != nil {
			release()
		}
		t.Fatalf("Admit(%s) = %v, want ETOOMANY", projectID, err)
	}
	if limitErr.Resource != resource || limitErr.RetryAfter != retryAfter {
		t.Errorf("refusal names %s, retry after %v; want %s, %v", limitErr.Resource, limitErr.RetryAfter, resource, retryAfter)
	}
}

func TestGateConcurrency(t *testing.T) {
	l := newLimits()
	l.set(projectA, picasso.ResourceConcurrency, 2)
	g := quota.NewGate(quota.GateOptions{Limits: l})

	first, second := admit(t, g, projectA), admit(t, g, projectA)
	wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
	if n := g.InFlight(projectA); n != 2 {
		t.Errorf("InFlight = %d, want 2", n)
	}
	// Another project is not affected by A being at its limit.
	for range 10 {
		defer admit(t, g, projectB)()
	}

	first()
	first() // releasing twice frees one slot only
	third := admit(t, g, projectA)
	wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
	second()
	third()
	if n := g.InFlight(projectA); n != 0 {
		t.Errorf("InFlight after every release = %d, want 0", n)
	}

	t.Run("a lower limit applies to the next call", func(t *testing.T) {
		l.set(projectA, picasso.ResourceConcurrency, 0)
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
	})
}

func TestGateConcurrencySharedByReplicas(t *testing.T) {
	for _, c := range []struct {
		limit    int64
		replicas int
		share    int
	}{{4, 2, 2}, {5, 2, 3}, {1, 3, 1}, {9, 3, 3}} {
		l := newLimits()
		l.set(projectA, picasso.ResourceConcurrency, c.limit)
		g := quota.NewGate(quota.GateOptions{Limits: l, LiveReplicas: func() int { return c.replicas }})
		for range c.share {
			defer admit(t, g, projectA)()
		}
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
	}
}

func TestGateRate(t *testing.T) {
	l := newLimits()
	l.set(projectA, picasso.ResourceRate, 4)
	c := newClock()
	g := quota.NewGate(quota.GateOptions{Limits: l, Now: c.Now})

	// A full bucket holds one second of calls.
	for range 4 {
		admit(t, g, projectA)()
	}
	wantRefused(t, g, projectA, picasso.ResourceRate, 250*time.Millisecond)
	admit(t, g, projectB)() // B has no rate limit

	c.Advance(250 * time.Millisecond)
	admit(t, g, projectA)()
	wantRefused(t, g, projectA, picasso.ResourceRate, 250*time.Millisecond)

	t.Run("a refused call takes no token", func(t *testing.T) {
		wantRefused(t, g, projectA, picasso.ResourceRate, 250*time.Millisecond)
		c.Advance(250 * time.Millisecond)
		admit(t, g, projectA)()
	})
	t.Run("a changed limit applies", func(t *testing.T) {
		l.set(projectA, picasso.ResourceRate, 1)
		c.Advance(10 * time.Second)
		admit(t, g, projectA)()
		wantRefused(t, g, projectA, picasso.ResourceRate, time.Second)
	})
	t.Run("zero refuses every call", func(t *testing.T) {
		l.set(projectA, picasso.ResourceRate, 0)
		c.Advance(10 * time.Second)
		wantRefused(t, g, projectA, picasso.ResourceRate, time.Minute)
	})
	t.Run("unlimited again", func(t *testing.T) {
		l.set(projectA, picasso.ResourceRate, picasso.Unlimited)
		for range 100 {
			admit(t, g, projectA)()
		}
	})
}

func TestGateRateSharedByReplicas(t *testing.T) {
	l := newLimits()
	l.set(projectA, picasso.ResourceRate, 4)
	c := newClock()
	g := quota.NewGate(quota.GateOptions{Limits: l, Now: c.Now, LiveReplicas: func() int { return 2 }})
	admit(t, g, projectA)()
	admit(t, g, projectA)()
	// This replica's share is 2 calls per second.
	wantRefused(t, g, projectA, picasso.ResourceRate, 500*time.Millisecond)
}

// TestGateFollowsTheLiveReplicaCount: the share of each limit is taken
// from the live count at every admission, so it shrinks as replicas join
// and grows as they leave; the token bucket is resized, not refilled.
func TestGateFollowsTheLiveReplicaCount(t *testing.T) {
	var live atomic.Int64
	live.Store(1)
	count := func() int { return int(live.Load()) }

	t.Run("concurrency", func(t *testing.T) {
		l := newLimits()
		l.set(projectA, picasso.ResourceConcurrency, 6)
		g := quota.NewGate(quota.GateOptions{Limits: l, LiveReplicas: count})
		live.Store(3) // a share of 2
		r1, r2 := admit(t, g, projectA), admit(t, g, projectA)
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)

		live.Store(2) // a replica left: a share of 3
		r3 := admit(t, g, projectA)
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)

		live.Store(6) // more joined: a share of 1, below the 3 running
		r1()
		r2()
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
		r3()
		admit(t, g, projectA)()

		live.Store(0) // no count (a failed beat): the whole limit
		for range 6 {
			defer admit(t, g, projectA)()
		}
		wantRefused(t, g, projectA, picasso.ResourceConcurrency, time.Second)
	})

	t.Run("rate", func(t *testing.T) {
		l := newLimits()
		l.set(projectA, picasso.ResourceRate, 8)
		c := newClock()
		live.Store(1)
		g := quota.NewGate(quota.GateOptions{Limits: l, Now: c.Now, LiveReplicas: count})
		for range 8 { // alone: the whole second's worth
			admit(t, g, projectA)()
		}
		wantRefused(t, g, projectA, picasso.ResourceRate, 125*time.Millisecond)

		// Three replicas joined: 2 per second, a bucket of 2. The second
		// that passed refilled the bucket, which now holds 2.
		live.Store(4)
		c.Advance(time.Second)
		for range 2 {
			admit(t, g, projectA)()
		}
		wantRefused(t, g, projectA, picasso.ResourceRate, 500*time.Millisecond)

		// Two left: 4 per second, a bucket of 4. The half second before
		// the change refilled at the old rate (one token), not the new.
		live.Store(2)
		c.Advance(500 * time.Millisecond)
		admit(t, g, projectA)()
		wantRefused(t, g, projectA, picasso.ResourceRate, 250*time.Millisecond)
		c.Advance(10 * time.Second)
		for range 4 {
			admit(t, g, projectA)()
		}
		wantRefused(t, g, projectA, picasso.ResourceRate, 250*time.Millisecond)
	})
}

func TestGateWithoutLimits(t *testing.T) {
	g := quota.NewGate(quota.GateOptions{Limits: quota.Defaults{}})
	for range 1000 {
		defer admit(t, g, projectA)()
	}
}

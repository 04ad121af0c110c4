package local

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestLimiterBoundsAndReleases(t *testing.T) {
	var l limiter
	l.slots = map[routeKey]*slot{}
	key := routeKey{"app", "/p"}
	ctx := context.Background()

	first, err := l.acquire(ctx, key, 1)
	mustDo(t, err)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(short, key, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second acquire: got %v, want a deadline error", err)
	}
	other, err := l.acquire(ctx, routeKey{"app", "/q"}, 1)
	mustDo(t, err)
	other()

	got := make(chan func())
	go func() {
		release, err := l.acquire(ctx, key, 1)
		if err != nil {
			t.Error(err)
		}
		got <- release
	}()
	first()
	(<-got)()

	if len(l.slots) != 0 {
		t.Errorf("slots kept after every call finished: %v", l.slots)
	}
}

func TestLimiterFollowsAChangedLimit(t *testing.T) {
	var l limiter
	l.slots = map[routeKey]*slot{}
	key := routeKey{"app", "/p"}
	ctx := context.Background()

	old, err := l.acquire(ctx, key, 1)
	mustDo(t, err)
	a, err := l.acquire(ctx, key, 2)
	mustDo(t, err)
	b, err := l.acquire(ctx, key, 2)
	mustDo(t, err)
	old()
	a()
	b()
	if len(l.slots) != 0 {
		t.Errorf("slots kept after every call finished: %v", l.slots)
	}
}

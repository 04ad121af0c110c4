package local

import (
	"context"
	"sync"
)

// routeKey identifies a route across apps: backend app name and path.
type routeKey struct {
	app, path string
}

// limiter bounds the concurrent runs of each route to its max_concurrency.
// A route's slot exists only while calls hold or wait for it, so the map
// does not grow with every route ever called.
type limiter struct {
	mu    sync.Mutex
	slots map[routeKey]*slot
}

type slot struct {
	tokens chan struct{}
	users  int // calls holding or waiting for a token
}

// acquire waits for a run slot of the route until ctx ends and returns the
// function that frees it. When max_concurrency changed, new calls get a
// fresh slot of the new size while the running ones finish on the old.
func (l *limiter) acquire(ctx context.Context, key routeKey, limit int) (release func(), err error) {
	limit = max(limit, 1)
	l.mu.Lock()
	s := l.slots[key]
	if s == nil || cap(s.tokens) != limit {
		s = &slot{tokens: make(chan struct{}, limit)}
		l.slots[key] = s
	}
	s.users++
	l.mu.Unlock()

	select {
	case s.tokens <- struct{}{}:
		return func() {
			<-s.tokens
			l.leave(key, s)
		}, nil
	case <-ctx.Done():
		l.leave(key, s)
		return nil, ctx.Err()
	}
}

func (l *limiter) leave(key routeKey, s *slot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s.users--
	if s.users == 0 && l.slots[key] == s {
		delete(l.slots, key)
	}
}

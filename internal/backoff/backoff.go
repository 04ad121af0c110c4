// Package backoff gives the waits between retries of a broker consumer:
// exponential, capped, with jitter so that replicas do not reconnect in
// step.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy is the first and the longest wait.
type Policy struct {
	Initial time.Duration
	Max     time.Duration
}

// Default waits 100 ms first, doubling up to 10 s.
var Default = Policy{Initial: 100 * time.Millisecond, Max: 10 * time.Second}

// Retry is one run of waits; Start begins a fresh one.
type Retry struct {
	policy Policy
	next   time.Duration
}

func (p Policy) Start() *Retry { return &Retry{policy: p, next: p.Initial} }

// Wait sleeps for the next wait (between half and all of it), doubling
// the one after; it returns false, early, when ctx ends.
func (r *Retry) Wait(ctx context.Context) bool {
	d := r.next/2 + rand.N(r.next/2+1)
	r.next = min(2*r.next, r.policy.Max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Package testclock is the clock tests inject where time matters, so that
// they move time by hand instead of sleeping.
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that only moves when Advance is called. It is safe
// for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock set to the real time.
func New() *Clock { return &Clock{now: time.Now()} }

// Now returns the clock's time; pass the method where a func() time.Time
// is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

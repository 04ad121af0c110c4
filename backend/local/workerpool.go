package local

import (
	"sync"
	"time"
)

// DefaultWorkerIdleTimeout is how long an idle warm worker is kept.
const DefaultWorkerIdleTimeout = 5 * time.Minute

// DefaultMaxIdleWorkers is how many idle warm workers the runtime keeps
// across all routes.
const DefaultMaxIdleWorkers = 32

// workerPool holds the idle warm workers of every route version. A call
// takes an idle worker of its exact version or starts one; how many run
// at once is bounded by the route's max_concurrency slots (limiter), so a
// route never has more workers busy than that. Idle workers of a route's
// older versions are killed when a newer version is called.
//
// Every idle worker is a process holding up to its route's memory, and
// the routes of all projects share the host: beyond maxIdle idle
// workers in all, the one unused the longest is killed, whichever route
// it served, so that many routes called once each cannot keep hundreds
// of interpreters alive for the idle timeout.
type workerPool struct {
	mu      sync.Mutex
	idle    map[routeKey][]*worker // most recently used last
	maxIdle int
	// The reaper starts with the first warm worker, so that a runtime
	// that never runs code has no goroutine of its own.
	reaper      sync.Once
	reaping     bool // under mu
	idleTimeout time.Duration
	stop        chan struct{}
	done        chan struct{}
}

func newWorkerPool(idleTimeout time.Duration, maxIdle int) *workerPool {
	return &workerPool{idle: map[routeKey][]*worker{}, maxIdle: maxIdle, idleTimeout: idleTimeout,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// take returns an idle worker of version key, if there is one, and
// removes the route's idle workers of other versions, which it returns
// for killing.
func (p *workerPool) take(route routeKey, key string) (w *worker, stale []*worker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var keep []*worker
	for _, iw := range p.idle[route] {
		if iw.key == key {
			keep = append(keep, iw)
		} else {
			stale = append(stale, iw)
		}
	}
	if n := len(keep); n > 0 {
		w, keep = keep[n-1], keep[:n-1]
	}
	p.set(route, keep)
	return w, stale
}

// put keeps a worker that served its call well, and returns for killing
// the worker it displaces when the pool is full: the one unused the
// longest. Once the pool is closing, it keeps nothing and returns w.
func (p *workerPool) put(route routeKey, w *worker, now time.Time) (evicted *worker) {
	w.lastUsed = now
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.stop:
		return w
	default:
	}
	p.idle[route] = append(p.idle[route], w)
	if p.idleCount() > p.maxIdle {
		return p.evictOldest()
	}
	return nil
}

// idleCount is how many workers are idle in all routes: a few dozen
// slices at most, bounded by maxIdle.
func (p *workerPool) idleCount() int {
	n := 0
	for _, workers := range p.idle {
		n += len(workers)
	}
	return n
}

// evictOldest removes and returns the idle worker unused the longest.
// Each route's list is most recently used last, so it is the oldest of
// the lists' first workers.
func (p *workerPool) evictOldest() *worker {
	var oldest routeKey
	var found *worker
	for route, workers := range p.idle {
		if found == nil || workers[0].lastUsed.Before(found.lastUsed) {
			oldest, found = route, workers[0]
		}
	}
	p.set(oldest, p.idle[oldest][1:])
	return found
}

func (p *workerPool) set(route routeKey, workers []*worker) {
	if len(workers) == 0 {
		delete(p.idle, route)
	} else {
		p.idle[route] = workers
	}
}

// expired removes and returns the workers idle since before cutoff.
func (p *workerPool) expired(cutoff time.Time) []*worker {
	p.mu.Lock()
	defer p.mu.Unlock()
	var old []*worker
	for route, workers := range p.idle {
		var keep []*worker
		for _, w := range workers {
			if w.lastUsed.Before(cutoff) {
				old = append(old, w)
			} else {
				keep = append(keep, w)
			}
		}
		p.set(route, keep)
	}
	return old
}

// startReaper starts reap once.
func (rt *Runtime) startReaper() {
	rt.workers.reaper.Do(func() {
		rt.workers.mu.Lock()
		rt.workers.reaping = true
		rt.workers.mu.Unlock()
		go rt.reap(rt.workers.idleTimeout)
	})
}

// stopWorkers ends the reaper, if it runs, which kills the idle workers.
func (rt *Runtime) stopWorkers() {
	p := rt.workers
	p.mu.Lock()
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	reaping := p.reaping
	p.mu.Unlock()
	if reaping {
		<-p.done
	}
}

// reap kills idle workers past idleTimeout until the pool is closed.
func (rt *Runtime) reap(idleTimeout time.Duration) {
	defer close(rt.workers.done)
	tick := time.NewTicker(min(idleTimeout/2, 10*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-rt.workers.stop:
			for _, w := range rt.workers.expired(time.Now().Add(time.Hour)) {
				w.kill(rt)
			}
			return
		case now := <-tick.C:
			for _, w := range rt.workers.expired(now.Add(-idleTimeout)) {
				w.kill(rt)
			}
		}
	}
}

package quota

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/picasso-faas/picasso"
)

// concurrencyRetryAfter is what a caller refused for concurrency is told
// to wait: when a slot frees up depends on calls that are running.
const concurrencyRetryAfter = time.Second

// neverRetryAfter is told to callers of a project whose rate limit is 0.
const neverRetryAfter = time.Minute

// maxIdleProjects bounds the idle projects whose token buckets are kept.
const maxIdleProjects = 10000

// GateOptions configure a Gate.
type GateOptions struct {
	// Limits gives each project's function_concurrency and function_rate.
	Limits picasso.Limits
	// LiveReplicas returns the number of replicas that share the limits,
	// this one included; it is called at every admission, so it must be
	// cheap (replicas.Replica.Live reads a count kept in memory). Each
	// replica admits its share: the concurrency limit divided by that
	// count, rounded up, and the rate divided by it. Nil, or a count below
	// 1, is 1: this replica takes the whole limits.
	LiveReplicas func() int
	// Now is the clock of the token buckets (default time.Now).
	Now func() time.Time
}

// Gate admits function calls within each project's concurrency and rate
// limits, on this replica; it implements picasso.CallGate. Its bounds
// across N live replicas (see GateOptions.LiveReplicas and
// docs/quotas.md): a project runs at most limit+N-1 calls at once over
// all replicas while the count is steady, and, when the load balancer
// spreads its calls unevenly, may be refused on one replica while another
// still has room.
type Gate struct {
	limits   picasso.Limits
	replicas func() int
	now      func() time.Time

	mu       sync.Mutex
	projects map[string]*projectGate
}

var _ picasso.CallGate = (*Gate)(nil)

// projectGate is one project's state on this replica.
type projectGate struct {
	inFlight int64
	rate     int64 // the limit bucket was set for
	replicas int64 // the replica count bucket was set for
	bucket   *rate.Limiter
}

// NewGate returns a gate over the options' limits.
func NewGate(opts GateOptions) *Gate {
	if opts.LiveReplicas == nil {
		opts.LiveReplicas = func() int { return 1 }
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Gate{limits: opts.Limits, replicas: opts.LiveReplicas, now: opts.Now, projects: map[string]*projectGate{}}
}

// Admit takes one of the project's concurrency slots and one token of its
// rate, or refuses with ETOOMANY. A refused call consumes neither.
func (g *Gate) Admit(ctx context.Context, projectID string) (func(), error) {
	concurrency, err := g.limits.Limit(ctx, projectID, picasso.ResourceConcurrency)
	if err != nil {
		return nil, err
	}
	perSecond, err := g.limits.Limit(ctx, projectID, picasso.ResourceRate)
	if err != nil {
		return nil, err
	}
	now := g.now()
	replicas := int64(max(g.replicas(), 1))
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.project(projectID)
	if concurrency != picasso.Unlimited && p.inFlight >= shareOf(concurrency, replicas) {
		return nil, picasso.TooMany(picasso.ResourceConcurrency, concurrency, concurrencyRetryAfter)
	}
	if perSecond != picasso.Unlimited {
		if wait, ok := takeToken(p, perSecond, replicas, now); !ok {
			return nil, picasso.TooMany(picasso.ResourceRate, perSecond, wait)
		}
	} else {
		p.bucket, p.rate = nil, 0
	}
	p.inFlight++
	var once sync.Once
	return func() { once.Do(func() { g.release(projectID) }) }, nil
}

// InFlight is the number of the project's calls running on this replica.
func (g *Gate) InFlight(projectID string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p, ok := g.projects[projectID]; ok {
		return p.inFlight
	}
	return 0
}

// shareOf is one of n replicas' part of a limit, rounded up so that a
// limit below the replica count still admits calls. A concurrency share
// that shrinks below the calls running stops no call: new ones wait until
// enough have ended.
func shareOf(limit, n int64) int64 {
	return (limit + n - 1) / n
}

// takeToken takes a token from the project's bucket, which refills at one
// of n replicas' share of the rate and holds one second of it (at least
// one call). Without a token it says how long until the next one. A
// changed limit or replica count changes the bucket's rate and size in
// place: the tokens it holds stay (down to the new size), so a change
// neither refills nor empties it.
func takeToken(p *projectGate, perSecond, n int64, now time.Time) (time.Duration, bool) {
	share := float64(perSecond) / float64(n)
	burst := max(1, int(shareOf(perSecond, n)))
	if perSecond == 0 {
		burst = 0
	}
	switch {
	case p.bucket == nil:
		p.bucket = rate.NewLimiter(rate.Limit(share), burst) // starts full
	case p.rate != perSecond || p.replicas != n:
		p.bucket.SetLimitAt(now, rate.Limit(share))
		p.bucket.SetBurstAt(now, burst)
	}
	p.rate, p.replicas = perSecond, n
	r := p.bucket.ReserveN(now, 1)
	if !r.OK() {
		return neverRetryAfter, false
	}
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return wait, false
	}
	return 0, true
}

func (g *Gate) release(projectID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.projects[projectID]
	p.inFlight--
	if p.inFlight == 0 && p.bucket == nil {
		delete(g.projects, projectID)
	}
}

// project returns the project's state, creating it. Called with g.mu held.
func (g *Gate) project(projectID string) *projectGate {
	if p, ok := g.projects[projectID]; ok {
		return p
	}
	if len(g.projects) >= maxIdleProjects {
		g.dropIdle()
	}
	p := &projectGate{}
	g.projects[projectID] = p
	return p
}

// dropIdle forgets projects without running calls whose bucket is full
// again: a new bucket, which starts full, behaves the same.
func (g *Gate) dropIdle() {
	now := g.now()
	for id, p := range g.projects {
		if p.inFlight == 0 && (p.bucket == nil || p.bucket.TokensAt(now) >= float64(p.bucket.Burst())) {
			delete(g.projects, id)
		}
	}
}

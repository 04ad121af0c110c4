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
	// Replicas is the number of replicas that share the limits (default
	// 1). Each replica admits its share: the concurrency limit divided by
	// Replicas, rounded up, and the rate divided by Replicas.
	Replicas int
	// Now is the clock of the token buckets (default time.Now).
	Now func() time.Time
}

// Gate admits function calls within each project's concurrency and rate
// limits, on this replica; it implements picasso.CallGate. Its bounds
// across replicas (see GateOptions.Replicas and docs/quotas.md): a
// project runs at most limit+Replicas-1 calls at once over all replicas,
// and, when the load balancer spreads its calls unevenly, may be refused
// on one replica while another still has room.
type Gate struct {
	limits   picasso.Limits
	replicas int
	now      func() time.Time

	mu       sync.Mutex
	projects map[string]*projectGate
}

var _ picasso.CallGate = (*Gate)(nil)

// projectGate is one project's state on this replica.
type projectGate struct {
	inFlight int64
	rate     int64 // the limit bucket was built for
	bucket   *rate.Limiter
}

// NewGate returns a gate over the options' limits.
func NewGate(opts GateOptions) *Gate {
	if opts.Replicas < 1 {
		opts.Replicas = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Gate{limits: opts.Limits, replicas: opts.Replicas, now: opts.Now, projects: map[string]*projectGate{}}
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
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.project(projectID)
	if concurrency != picasso.Unlimited && p.inFlight >= g.concurrencyShare(concurrency) {
		return nil, picasso.TooMany(picasso.ResourceConcurrency, concurrency, concurrencyRetryAfter)
	}
	if perSecond != picasso.Unlimited {
		if wait, ok := g.takeToken(p, perSecond, now); !ok {
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

// concurrencyShare is this replica's part of a concurrency limit, rounded
// up so that a limit below the replica count still admits calls.
func (g *Gate) concurrencyShare(limit int64) int64 {
	n := int64(g.replicas)
	return (limit + n - 1) / n
}

// takeToken takes a token from the project's bucket, which refills at
// this replica's share of the rate and holds one second of it (at least
// one call). Without a token it says how long until the next one.
func (g *Gate) takeToken(p *projectGate, perSecond int64, now time.Time) (time.Duration, bool) {
	share := float64(perSecond) / float64(g.replicas)
	burst := max(1, int((perSecond+int64(g.replicas)-1)/int64(g.replicas)))
	if perSecond == 0 {
		burst = 0
	}
	switch {
	case p.bucket == nil:
		p.bucket = rate.NewLimiter(rate.Limit(share), burst) // starts full
	case p.rate != perSecond:
		p.bucket.SetLimitAt(now, rate.Limit(share))
		p.bucket.SetBurstAt(now, burst)
	}
	p.rate = perSecond
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

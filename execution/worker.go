package execution

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// Defaults of WorkerConfig.
const (
	DefaultConcurrency    = 16
	DefaultLeaseMargin    = 10 * time.Second
	DefaultPollInterval   = 250 * time.Millisecond
	DefaultBackoffBase    = time.Second
	DefaultBackoffCap     = 5 * time.Minute
	DefaultMaxResultBytes = 1 << 20
	DefaultMaxLogBytes    = 64 << 10
)

// WorkerConfig tunes a replica's worker.
type WorkerConfig struct {
	// Owner names this worker in the leases it takes; a random name by
	// default. It must differ between replicas.
	Owner string
	// Concurrency bounds the calls this replica runs at once.
	Concurrency int
	// ProjectConcurrency bounds the calls of one project this replica runs
	// at once (default Concurrency), so that one project's backlog cannot
	// take every slot.
	ProjectConcurrency int
	// LeaseMargin is added to a route's timeout to form the lease; a call
	// is given the timeout plus half the margin to run, leaving the other
	// half to record the outcome.
	LeaseMargin time.Duration
	// PollInterval is how often an idle worker looks for due calls.
	PollInterval time.Duration
	Backoff      Backoff
	// MaxResultBytes bounds the result kept (the rest is cut, and the
	// record says so); MaxLogBytes bounds the log.
	MaxResultBytes int
	MaxLogBytes    int
	// Gate, when set, admits each claimed call within its project's
	// function_concurrency and function_rate before it runs: the same gate
	// as the replica's sync calls, so that sync and async calls share the
	// limits. A call it refuses goes back to the queue (DeferCall) without
	// using an attempt.
	Gate picasso.CallGate
	// Deferred, when set, is told the resource of every call the gate
	// refused (Metrics.Deferred counts them).
	Deferred func(picasso.Resource)
	Logger   *slog.Logger
}

// NewOwner returns a fresh lease owner name: random, so that a restarted
// replica is a new owner (and a new replica).
func NewOwner() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *WorkerConfig) setDefaults() {
	if c.Owner == "" {
		c.Owner = NewOwner()
	}
	if c.Concurrency <= 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.ProjectConcurrency <= 0 || c.ProjectConcurrency > c.Concurrency {
		c.ProjectConcurrency = c.Concurrency
	}
	if c.LeaseMargin <= 0 {
		c.LeaseMargin = DefaultLeaseMargin
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Backoff.Base <= 0 {
		c.Backoff.Base = DefaultBackoffBase
	}
	if c.Backoff.Cap < c.Backoff.Base {
		c.Backoff.Cap = max(DefaultBackoffCap, c.Backoff.Base)
	}
	if c.MaxResultBytes <= 0 {
		c.MaxResultBytes = DefaultMaxResultBytes
	}
	if c.MaxLogBytes <= 0 {
		c.MaxLogBytes = DefaultMaxLogBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Finisher is told about every call that reached a final state or failed
// an attempt on this replica: callbacks and metrics hang off it.
type Finisher interface {
	Finished(ctx context.Context, call *picasso.CallRecord)
}

// Worker runs queued calls on the backend. Every replica runs one.
type Worker struct {
	cfg      WorkerConfig
	calls    picasso.CallStore
	store    picasso.Store
	backend  picasso.Backend
	finisher Finisher
	wake     chan struct{}

	// batch is how many slots must be free before a busy worker claims.
	batch  int
	routes *routeCache

	mu       sync.Mutex
	running  map[string]int       // calls running per project
	gated    map[string]time.Time // projects the gate refused, until their calls are due again
	total    int                  // calls running
	reserved int                  // slots held by claims in flight
	claiming int                  // claims in flight
	// turnedAway records that a wake found no slot to claim with while
	// claims held some, so the end of those claims must look again.
	turnedAway bool
	done       sync.WaitGroup
}

// NewWorker returns a worker; finisher may be nil.
func NewWorker(cfg WorkerConfig, calls picasso.CallStore, store picasso.Store, backend picasso.Backend, finisher Finisher) *Worker {
	cfg.setDefaults()
	return &Worker{
		cfg: cfg, calls: calls, store: store, backend: backend, finisher: finisher,
		wake:    make(chan struct{}, 1),
		running: map[string]int{},
		gated:   map[string]time.Time{},
		batch:   max(1, cfg.Concurrency/4),
		routes:  newRouteCache(store, routeCacheTTL),
	}
}

// Owner is the name this worker takes leases under.
func (w *Worker) Owner() string { return w.cfg.Owner }

// Wake makes the worker look for due calls now rather than at its next
// poll; the Enqueuer calls it after every new call.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// maxClaims bounds the claims (transactions) a worker has in flight: a
// claim costs a commit, and one at a time would bound a replica's drain
// rate to one batch per commit.
const maxClaims = 4

// Run takes and runs calls until ctx ends, then waits for the calls it
// started: they run to their own deadline, as a call a replica dropped
// would only run again after its lease.
func (w *Worker) Run(ctx context.Context) {
	ticker := time.NewTicker(w.cfg.PollInterval)
	defer ticker.Stop()
	defer w.done.Wait()
	for {
		// One claim per wake or tick. Slots that free up later come with
		// a wake of their own (a call's end, a full claim, a wake turned
		// away meanwhile), so looking again at once could only repeat a
		// claim that has just found the queue drained.
		w.startClaim(ctx)
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-ticker.C:
		}
	}
}

// startClaim reserves free slots and claims calls for them in the
// background.
func (w *Worker) startClaim(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	n, busy := w.reserve()
	if n == 0 {
		return
	}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		calls, err := w.calls.ClaimCalls(ctx, w.cfg.Owner, n, w.cfg.LeaseMargin, busy)
		if err != nil && ctx.Err() == nil {
			w.cfg.Logger.Warn("claiming calls failed", "error", err)
		}
		started := 0
		for _, call := range calls {
			if call.Status == picasso.CallDead { // its last attempt's lease expired
				w.cfg.Logger.Warn("call dead: lease expired", "call_id", call.ID, "attempt", call.Attempt)
				w.finished(context.WithoutCancel(ctx), call)
				continue
			}
			release, ok := w.admit(ctx, call)
			if !ok {
				continue
			}
			w.start(ctx, call, release)
			started++
		}
		w.release(n - started)
		if len(calls) == n {
			w.Wake() // more may be due
		}
	}()
}

// reserve takes the free slots for a claim and returns how many, with the
// projects at their limit. A busy worker waits for a batch of free slots,
// so that one claim serves several calls; with a per-project limit, one
// claim at a time keeps the limit exact. A reserve turned away while
// claims hold slots is remembered for release.
func (w *Worker) reserve() (int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	free := w.cfg.Concurrency - w.total - w.reserved
	limited := w.cfg.ProjectConcurrency < w.cfg.Concurrency
	switch {
	case free <= 0, w.claiming >= maxClaims, limited && w.claiming > 0,
		w.total+w.reserved > 0 && free < w.batch:
		if w.claiming > 0 {
			w.turnedAway = true
		}
		return 0, nil
	}
	var busy []string
	for project, n := range w.running {
		if n >= w.cfg.ProjectConcurrency {
			busy = append(busy, project)
		}
	}
	now := time.Now()
	for project, until := range w.gated {
		if now.Before(until) {
			busy = append(busy, project)
		} else {
			delete(w.gated, project)
		}
	}
	w.claiming++
	w.reserved += free
	return free, busy
}

// release ends a claim: the slots it did not fill are free again. Only a
// wake turned away meanwhile needs them now: a claim that found fewer
// calls than slots has drained what was due, and claiming again at once
// would spin on an idle queue.
func (w *Worker) release(unused int) {
	w.mu.Lock()
	w.claiming--
	w.reserved -= unused
	again := unused > 0 && w.turnedAway
	if again {
		w.turnedAway = false
	}
	w.mu.Unlock()
	if again {
		w.Wake()
	}
}

// gateRetryAfter is how long a call waits when the gate failed rather
// than refused (its limits could not be read).
const gateRetryAfter = time.Second

// admit asks the gate for one of the project's call slots. Refused, the
// call goes back to the queue, due when the gate said to retry, with the
// attempt it was claimed for taken back: a project at its limit waits, it
// does not fail. Until then the worker claims none of the project's other
// calls, which would be refused the same way, so that they do not take
// the claims of the projects that have room.
func (w *Worker) admit(ctx context.Context, call *picasso.CallRecord) (release func(), ok bool) {
	if w.cfg.Gate == nil {
		return func() {}, true
	}
	release, err := w.cfg.Gate.Admit(ctx, call.ProjectID)
	if err == nil {
		return release, true
	}
	delay := gateRetryAfter
	var refusal *picasso.LimitError
	switch {
	case errors.As(err, &refusal):
		delay = refusal.RetryAfter
		if w.cfg.Deferred != nil {
			w.cfg.Deferred(refusal.Resource)
		}
	case ctx.Err() == nil:
		w.cfg.Logger.Warn("call not admitted: the project's limits could not be read", "call_id", call.ID, "error", err)
	}
	delay = max(delay, w.cfg.PollInterval)
	until := time.Now().Add(delay)
	w.mu.Lock()
	w.gated[call.ProjectID] = until
	w.mu.Unlock()
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.LeaseMargin)
	defer cancel()
	if err := w.calls.DeferCall(saveCtx, call, until); err != nil {
		// The lease stays; the call runs again when it expires, as the
		// attempt after this one.
		w.cfg.Logger.Warn("call not handed back to the queue", "call_id", call.ID, "attempt", call.Attempt, "error", err)
	}
	return nil, false
}

// start runs a claimed call in a slot its claim reserved; release gives
// back its gate slot.
func (w *Worker) start(ctx context.Context, call *picasso.CallRecord, release func()) {
	w.mu.Lock()
	w.running[call.ProjectID]++
	w.total++
	w.reserved--
	w.mu.Unlock()
	w.done.Add(1)
	go func() {
		defer func() {
			w.mu.Lock()
			if w.running[call.ProjectID]--; w.running[call.ProjectID] == 0 {
				delete(w.running, call.ProjectID)
			}
			w.total--
			w.mu.Unlock()
			w.done.Done()
			w.Wake()
		}()
		// A call outlives the shutdown of its worker: its lease says so.
		w.execute(context.WithoutCancel(ctx), call, release)
	}()
}

// execute runs one attempt, gives back the gate slot, and records the
// attempt's outcome, if the lease is still ours.
func (w *Worker) execute(ctx context.Context, call *picasso.CallRecord, release func()) {
	outcome := w.attempt(ctx, call)
	release()
	if outcome.Status == picasso.CallFailed && call.Attempt >= call.MaxAttempts {
		outcome.Status = picasso.CallDead
	}
	if outcome.Status == picasso.CallFailed {
		outcome.NotBefore = time.Now().Add(w.cfg.Backoff.Delay(call.Attempt))
	}
	saveCtx, cancel := context.WithTimeout(ctx, w.cfg.LeaseMargin)
	defer cancel()
	if err := w.calls.FinishCall(saveCtx, call, outcome); err != nil {
		// ECONFLICT: the lease expired and another worker runs the call
		// again; its outcome is the one recorded.
		w.cfg.Logger.Warn("call outcome not recorded", "call_id", call.ID, "attempt", call.Attempt, "error", err)
		return
	}
	w.cfg.Logger.Info("call attempt finished", "call_id", call.ID, "attempt", call.Attempt, "status", call.Status,
		"http_status", call.HTTPStatus, "duration", call.Duration())
	w.finished(ctx, call)
}

func (w *Worker) finished(ctx context.Context, call *picasso.CallRecord) {
	if w.finisher != nil {
		w.finisher.Finished(ctx, call)
	}
}

// attempt runs the call on the backend as a sync call of its route.
func (w *Worker) attempt(ctx context.Context, call *picasso.CallRecord) picasso.CallOutcome {
	app, route, err := w.route(ctx, call)
	if err != nil {
		if picasso.IsCode(err, picasso.ENOTFOUND) {
			return picasso.CallOutcome{Status: picasso.CallDead, Error: picasso.ErrorMessage(err)}
		}
		return failed(0, err)
	}
	run := *route
	run.Type = picasso.RouteSync
	header := call.Request.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set(picasso.HeaderCallID, call.ID)
	header.Set(picasso.HeaderCallAttempt, strconv.Itoa(call.Attempt))
	log := &boundedBuffer{limit: w.cfg.MaxLogBytes}

	runCtx, cancel := context.WithTimeout(ctx, route.TimeoutDuration()+w.cfg.LeaseMargin/2)
	defer cancel()
	res, err := w.backend.Invoke(runCtx, &picasso.Call{
		App:       app,
		Route:     &run,
		Method:    call.Request.Method,
		RawQuery:  call.Request.RawQuery,
		Header:    header,
		Body:      bytes.NewReader(call.Request.Body),
		RequestID: call.RequestID,
		Log:       log,
	})
	if err != nil {
		if runCtx.Err() != nil && ctx.Err() == nil {
			err = picasso.Wrap(picasso.ETIMEOUT, err, "Function timed out")
		}
		o := failed(0, err)
		o.Log = log.Bytes()
		return o
	}
	defer res.Body.Close()
	result := &boundedBuffer{limit: w.cfg.MaxResultBytes}
	_, err = io.Copy(result, res.Body)
	o := picasso.CallOutcome{
		Status:          picasso.CallSucceeded,
		HTTPStatus:      res.Status,
		Result:          result.Bytes(),
		ResultTruncated: result.truncated,
		Log:             log.Bytes(),
	}
	switch {
	case err != nil:
		o.Status, o.Error = picasso.CallFailed, "Function response was cut short"
	case res.Status >= 500:
		o.Status, o.Error = picasso.CallFailed, fmt.Sprintf("Function answered %d", res.Status)
	case res.Status >= 400:
		o.Status, o.Error = picasso.CallDead, fmt.Sprintf("Function answered %d (not retried)", res.Status)
	}
	return o
}

// failed is the outcome of an attempt that produced no answer.
func failed(status int, err error) picasso.CallOutcome {
	o := picasso.CallOutcome{Status: picasso.CallFailed, HTTPStatus: status, Error: picasso.ErrorMessage(err)}
	if !retryable(status, err) {
		o.Status = picasso.CallDead
	}
	return o
}

// route loads the app and route the call was made to (through a short
// cache: a drain runs many calls of one route); ENOTFOUND when either is
// gone, or the app was deleted and made again since.
func (w *Worker) route(ctx context.Context, call *picasso.CallRecord) (*picasso.App, *picasso.Route, error) {
	app, route, err := w.routes.get(ctx, call.ProjectID, call.AppName, call.RoutePath)
	if err != nil {
		return nil, nil, err
	}
	if app.ID != call.AppID {
		return nil, nil, picasso.Errorf(picasso.ENOTFOUND, "App %s was deleted since the call was made", call.AppName)
	}
	return app, route, nil
}

// boundedBuffer keeps the first limit bytes written and drops the rest,
// remembering that it did.
type boundedBuffer struct {
	buf       bytes.Buffer
	limit     int
	truncated bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	room := b.limit - b.buf.Len()
	if len(p) > room {
		b.truncated = true
		p = p[:max(room, 0)]
	}
	b.buf.Write(p)
	return n, nil
}

func (b *boundedBuffer) Bytes() []byte { return b.buf.Bytes() }

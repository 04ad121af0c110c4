package picasso

import (
	"context"
	"net/http"
	"time"
)

// CallStatus is where a recorded call is in its life. A call is queued,
// taken by a worker (running), and ends succeeded, failed (the attempt
// failed and another will follow), dead (no attempt left) or cancelled.
type CallStatus string

const (
	CallQueued    CallStatus = "queued"
	CallRunning   CallStatus = "running"
	CallSucceeded CallStatus = "succeeded"
	CallFailed    CallStatus = "failed"
	CallDead      CallStatus = "dead"
	CallCancelled CallStatus = "cancelled"
)

// CallTrigger says what created a recorded call.
type CallTrigger string

const (
	TriggerHTTP     CallTrigger = "http"
	TriggerWebhook  CallTrigger = "webhook"
	TriggerEvent    CallTrigger = "event"
	TriggerSchedule CallTrigger = "schedule"
	TriggerRetry    CallTrigger = "retry"
)

// CallRequest is the request a recorded call replays to the function:
// never the caller's credentials, and a body bounded by the enqueuer.
type CallRequest struct {
	Method   string      `json:"method"`
	RawQuery string      `json:"query,omitempty"`
	Header   http.Header `json:"headers,omitempty"`
	Body     []byte      `json:"body,omitempty"`
}

// CallRecord is one durable call: the queue item and, once it ran, the
// record of what happened. The execution core owns the rows; triggers and
// schedules only create them through a CallQueue.
type CallRecord struct {
	ID        string
	ProjectID string
	AppID     string
	AppName   string
	RoutePath string
	Status    CallStatus
	Trigger   CallTrigger
	// Attempt is the number of the attempt running or last run, counting
	// from 1 (0 while the call never started); MaxAttempts bounds it.
	Attempt     int
	MaxAttempts int
	// Timeout is the route's timeout when the call was enqueued: a
	// worker's lease on the call is Timeout plus a margin.
	Timeout time.Duration
	// IdempotencyKey, when set, is unique per project: enqueueing a second
	// call with the same key returns the first.
	IdempotencyKey string
	CallbackURL    string
	RequestID      string
	Request        CallRequest

	CreatedAt  time.Time
	NotBefore  time.Time
	StartedAt  time.Time
	FinishedAt time.Time

	// HTTPStatus, Result, Log and Error describe the last attempt.
	HTTPStatus      int
	Result          []byte
	ResultTruncated bool
	Log             []byte
	Error           string

	// LeaseOwner names the worker that holds a running call; only it may
	// finish the call, and only until its lease ends.
	LeaseOwner string

	// CallbackStatus, CallbackAttempts and CallbackError follow the
	// delivery of the callback of a final call that has a CallbackURL.
	CallbackStatus   CallbackStatus
	CallbackAttempts int
	CallbackError    string
}

// CallbackStatus is where the callback of a call is. The statement that
// makes a call with a callback URL final (succeeded or dead) makes its
// callback pending, so that a replica that dies before delivering it
// leaves it to the others; it ends delivered, or failed once its attempts
// are spent.
type CallbackStatus string

const (
	CallbackNone      CallbackStatus = ""
	CallbackPending   CallbackStatus = "pending"
	CallbackDelivered CallbackStatus = "delivered"
	CallbackFailed    CallbackStatus = "failed"
)

// Duration is how long the last attempt ran, zero before it finished.
func (c *CallRecord) Duration() time.Duration {
	if c.StartedAt.IsZero() || c.FinishedAt.Before(c.StartedAt) {
		return 0
	}
	return c.FinishedAt.Sub(c.StartedAt)
}

// Waiting reports whether the call waits for a worker: queued, or failed
// with another attempt to come.
func (s CallStatus) Waiting() bool { return s == CallQueued || s == CallFailed }

// Final reports whether nothing will happen to the call any more unless
// someone re-queues it.
func (s CallStatus) Final() bool {
	return s == CallSucceeded || s == CallDead || s == CallCancelled
}

// CallQueue puts calls on the durable queue. Enqueue commits rec (filling
// ID, Status, Attempt and timestamps) before it returns, so whatever
// acknowledges a source (an HTTP 202, a broker ack) may do so afterwards.
// When rec.IdempotencyKey was already used by rec.ProjectID it returns the
// existing record and created=false instead of a second call.
type CallQueue interface {
	Enqueue(ctx context.Context, rec *CallRecord) (call *CallRecord, created bool, err error)
}

// CallFilter selects the calls a list returns; empty fields match all.
type CallFilter struct {
	AppName   string
	RoutePath string
	Status    CallStatus
	// Since keeps calls created at or after it.
	Since time.Time
}

// CallOutcome is what a worker writes when an attempt ends: Status is
// CallSucceeded, CallFailed (another attempt at NotBefore) or CallDead.
type CallOutcome struct {
	Status          CallStatus
	NotBefore       time.Time
	HTTPStatus      int
	Result          []byte
	ResultTruncated bool
	Log             []byte
	Error           string
}

// CallStore keeps the call rows: the queue and the record. Errors are
// *Error values (ENOTFOUND, ECONFLICT, ETOOMANY, EUNAVAILABLE).
type CallStore interface {
	// InsertCall commits rec as a queued call, giving it an ID and its
	// timestamps. An IdempotencyKey the project used already returns the
	// existing call and created=false. ETOOMANY when the project has
	// maxWaiting calls waiting already (0 = no cap).
	InsertCall(ctx context.Context, rec *CallRecord, maxWaiting int) (call *CallRecord, created bool, err error)
	// RecordCall inserts rec as a call that already ran (a recorded sync
	// call), giving it an ID; it is never due.
	RecordCall(ctx context.Context, rec *CallRecord) error
	// GetCall returns the project's call; ENOTFOUND for another project's.
	GetCall(ctx context.Context, projectID, id string) (*CallRecord, error)
	// ListCalls returns one page of the project's calls, newest first; the
	// marker is the ID of the last call of the previous page.
	ListCalls(ctx context.Context, projectID string, filter CallFilter, page Page) ([]*CallRecord, error)
	// ClaimCalls leases up to limit due calls to owner: waiting calls whose
	// NotBefore has come, and running calls whose lease expired (as their
	// next attempt; a call whose last attempt's lease expired is dead
	// instead). Projects in skipProjects are left alone. Each lease lasts
	// the call's Timeout plus margin.
	ClaimCalls(ctx context.Context, owner string, limit int, margin time.Duration, skipProjects []string) ([]*CallRecord, error)
	// FinishCall records the outcome of the running attempt of call;
	// ECONFLICT when call.LeaseOwner no longer holds it (the lease expired
	// and another worker took it, or the call was re-queued).
	FinishCall(ctx context.Context, call *CallRecord, outcome CallOutcome) error
	// DeferCall puts a claimed call that did not run back on the queue,
	// due at notBefore, without counting the attempt it was claimed for:
	// the worker could not run it yet (the project was at its concurrency
	// or rate limit). ECONFLICT when call.LeaseOwner no longer holds it.
	DeferCall(ctx context.Context, call *CallRecord, notBefore time.Time) error
	// CancelCall cancels a waiting call; ECONFLICT when it is not waiting.
	CancelCall(ctx context.Context, projectID, id string) (*CallRecord, error)
	// RequeueCall puts a dead or failed call back on the queue as a new
	// series of attempts, with trigger retry; ECONFLICT otherwise. A
	// callback still pending for the dead outcome is dropped: the new
	// series' final outcome has one of its own.
	RequeueCall(ctx context.Context, projectID, id string) (*CallRecord, error)
	// PurgeCalls deletes up to limit finished calls created before cutoff
	// and returns how many it deleted.
	PurgeCalls(ctx context.Context, cutoff time.Time, limit int) (int, error)
	// CallStats counts calls for metrics.
	CallStats(ctx context.Context) (CallStats, error)
}

// CallbackQueue holds the pending callbacks of final calls until they are
// delivered: a durable queue of its own beside the calls', so that a
// callback, like a call, outlives the replica that was to send it.
// Delivery is at least once: a replica that sent a callback and died
// before recording it leaves it to be sent again.
type CallbackQueue interface {
	// ClaimCallbacks leases up to limit pending callbacks that are due (a
	// new one, one whose backoff has passed, or one whose sender's lease
	// expired) for lease, counting an attempt for each.
	ClaimCallbacks(ctx context.Context, limit int, lease time.Duration) ([]*CallRecord, error)
	// FinishCallback records how the claimed attempt of call's callback
	// (call.CallbackAttempts) ended; ECONFLICT when that attempt is no
	// longer the callback's (its lease expired and another replica
	// claimed it, or the call was re-queued).
	FinishCallback(ctx context.Context, call *CallRecord, outcome CallbackOutcome) error
}

// CallbackOutcome is how an attempt at a callback ended: Status is
// CallbackDelivered, CallbackFailed (no attempt left) or CallbackPending
// (another attempt at NotBefore).
type CallbackOutcome struct {
	Status    CallbackStatus
	NotBefore time.Time
	Error     string
}

// CallStats is the state of the queue as a whole.
type CallStats struct {
	Queued  int
	Running int
	Dead    int
	// OldestQueued is the creation time of the oldest waiting call, zero
	// when none waits.
	OldestQueued time.Time
	// CallbacksPending counts the callbacks not delivered yet, nor failed.
	CallbacksPending int
}

// Leases hands singleton work (the retention purge) to one replica at a
// time: TryLease takes or renews the named lease for owner until ttl from
// now and reports whether owner holds it.
type Leases interface {
	TryLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
}

// Headers of a call that Picasso runs from its queue, and of callbacks.
const (
	HeaderCallID      = "X-Picasso-Call-Id"
	HeaderCallAttempt = "X-Picasso-Call-Attempt"
	HeaderCallStatus  = "X-Picasso-Call-Status"
	HeaderCallbackURL = "X-Callback-Url"
	HeaderIdempotency = "Idempotency-Key"
)

// CallbackKeys gives each project the HMAC key its callbacks are signed
// with; ok is false when the operator configured no signing.
type CallbackKeys interface {
	CallbackKey(projectID string) (key string, ok bool)
}

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
	// Attempt counts from 1; MaxAttempts bounds it.
	Attempt     int
	MaxAttempts int
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
}

// CallQueue puts calls on the durable queue. Enqueue commits rec (filling
// ID, Status, Attempt and timestamps) before it returns, so whatever
// acknowledges a source (an HTTP 202, a broker ack) may do so afterwards.
// When rec.IdempotencyKey was already used by rec.ProjectID it returns the
// existing record and created=false instead of a second call.
type CallQueue interface {
	Enqueue(ctx context.Context, rec *CallRecord) (call *CallRecord, created bool, err error)
}

package execution

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/picasso-faas/picasso"
)

// DefaultCallbackTimeout bounds one delivery of a callback.
const DefaultCallbackTimeout = 10 * time.Second

// CallbackConfig tunes callback delivery.
type CallbackConfig struct {
	// AllowPrivate lets callbacks reach loopback, link-local and private
	// addresses; off, such targets are refused (SSRF).
	AllowPrivate bool
	// Attempts bounds the deliveries of one callback (default 3), spaced
	// by Backoff (default 1 s doubling to 10 s).
	Attempts int
	Backoff  Backoff
	// Timeout bounds each delivery (default 10 s). A delivery's lease on
	// its callback is one and a half times it: the timeout, then as much
	// as half of it to record the outcome.
	Timeout time.Duration
	// Concurrency bounds the callbacks this replica sends at once
	// (default 8).
	Concurrency int
	// PollInterval is how often the sender looks for due callbacks
	// (default 1 s): those other replicas left, and retries whose backoff
	// ended. A call finishing here wakes it at once.
	PollInterval time.Duration
	Logger       *slog.Logger
}

// Callbacks posts the outcome of every call that has a callback URL, once
// the call is final (succeeded or dead). The callbacks are taken from a
// durable queue (picasso.CallbackQueue), filled by the statement that
// makes a call final, so that one is sent even when the replica that ran
// the call dies first; delivery is at least once, and a receiver tells a
// repeat by X-Picasso-Call-Id.
type Callbacks struct {
	cfg    CallbackConfig
	keys   *CallbackKeys
	queue  picasso.CallbackQueue
	client *http.Client
	sent   func(outcome string)
	wake   chan struct{}
}

// NewCallbacks returns a sender of queue's callbacks, signing with keys
// (nil: unsigned). Run sends them.
func NewCallbacks(cfg CallbackConfig, keys *CallbackKeys, queue picasso.CallbackQueue) *Callbacks {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff.Base <= 0 {
		cfg.Backoff = Backoff{Base: time.Second, Cap: 10 * time.Second}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultCallbackTimeout
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 8
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowPrivate {
		// Checked on the address actually dialled, after DNS, so that a
		// name resolving to an internal address (or rebinding to one)
		// is refused as well.
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}
	return &Callbacks{cfg: cfg, keys: keys, queue: queue, sent: func(string) {}, wake: make(chan struct{}, 1),
		client: &http.Client{
			Transport: transport,
			Timeout:   cfg.Timeout,
			// A redirect could lead anywhere; the target answers itself.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
}

var errPrivateTarget = errors.New("callback target is a loopback, link-local or private address")

func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() {
		return errPrivateTarget
	}
	return nil
}

// Observe has sent called with the outcome of every callback, for
// metrics (Metrics.CallbackSent).
func (c *Callbacks) Observe(sent func(outcome string)) { c.sent = sent }

// Finished wakes the sender when the call's callback became pending here,
// so that it goes out now rather than at the next poll.
func (c *Callbacks) Finished(_ context.Context, call *picasso.CallRecord) {
	if call.CallbackStatus == picasso.CallbackPending {
		c.wakeUp()
	}
}

// Run sends due callbacks until ctx ends, then waits for the deliveries
// it started: each ends within its timeout, and its lease covers it.
func (c *Callbacks) Run(ctx context.Context) {
	ticker := time.NewTicker(c.cfg.PollInterval)
	defer ticker.Stop()
	slots := make(chan struct{}, c.cfg.Concurrency)
	var deliveries sync.WaitGroup
	defer deliveries.Wait()
	for {
		// One claim per wake or tick, for the free slots; a delivery's end
		// wakes the loop for its slot.
		if free := c.cfg.Concurrency - len(slots); free > 0 {
			calls, err := c.queue.ClaimCallbacks(ctx, free, c.cfg.Timeout+c.cfg.Timeout/2)
			if err != nil && ctx.Err() == nil {
				c.cfg.Logger.Warn("claiming callbacks failed", "error", err)
			}
			for _, call := range calls {
				slots <- struct{}{}
				deliveries.Add(1)
				go func() {
					defer func() {
						<-slots
						deliveries.Done()
						c.wakeUp()
					}()
					c.deliver(context.WithoutCancel(ctx), call)
				}()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-ticker.C:
		}
	}
}

func (c *Callbacks) wakeUp() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// callbackBody is what a callback posts.
type callbackBody struct {
	CallID         string `json:"call_id"`
	ProjectID      string `json:"project_id"`
	App            string `json:"app"`
	Route          string `json:"route"`
	Status         string `json:"status"`
	Attempt        int    `json:"attempt"`
	HTTPStatus     int    `json:"http_status,omitempty"`
	Error          string `json:"error,omitempty"`
	Result         string `json:"result"`
	ResultEncoding string `json:"result_encoding,omitempty"`
	Truncated      bool   `json:"result_truncated"`
	FinishedAt     string `json:"finished_at"`
}

// errSenderVanished is the error of a callback whose last attempt's
// sender stopped before recording it: whether it arrived is unknown.
const errSenderVanished = "The replica sending the last attempt stopped before it finished (lease expired)"

// deliver makes the claimed attempt at call's callback and records how it
// ended.
func (c *Callbacks) deliver(ctx context.Context, call *picasso.CallRecord) {
	outcome := c.attempt(ctx, call)
	saveCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout/2)
	defer cancel()
	if err := c.queue.FinishCallback(saveCtx, call, outcome); err != nil {
		// ECONFLICT: the lease expired and another replica sends it again.
		c.cfg.Logger.Warn("callback outcome not recorded", "call_id", call.ID, "attempt", call.CallbackAttempts, "error", err)
		return
	}
	switch outcome.Status {
	case picasso.CallbackDelivered:
		c.sent("delivered")
	case picasso.CallbackFailed:
		c.sent("failed")
		c.cfg.Logger.Warn("callback not delivered", "call_id", call.ID, "attempts", call.CallbackAttempts, "error", outcome.Error)
	}
}

// attempt posts the callback once, unless its attempts are spent.
func (c *Callbacks) attempt(ctx context.Context, call *picasso.CallRecord) picasso.CallbackOutcome {
	if call.CallbackAttempts > c.cfg.Attempts {
		return picasso.CallbackOutcome{Status: picasso.CallbackFailed, Error: errSenderVanished}
	}
	err := c.post(ctx, call, callbackPayload(call))
	switch {
	case err == nil:
		return picasso.CallbackOutcome{Status: picasso.CallbackDelivered}
	case call.CallbackAttempts >= c.cfg.Attempts || errors.Is(err, errPrivateTarget):
		return picasso.CallbackOutcome{Status: picasso.CallbackFailed, Error: deliveryError(err)}
	}
	return picasso.CallbackOutcome{Status: picasso.CallbackPending, Error: deliveryError(err),
		NotBefore: time.Now().Add(c.cfg.Backoff.Delay(call.CallbackAttempts))}
}

// deliveryError says why a delivery failed, without the callback URL
// that net/http's errors quote: such URLs often carry the receiver's
// secret, which must not reach logs.
func deliveryError(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return err.Error()
}

// callbackPayload is the JSON body of call's callback.
func callbackPayload(call *picasso.CallRecord) []byte {
	body := callbackBody{
		CallID: call.ID, ProjectID: call.ProjectID, App: call.AppName, Route: call.RoutePath, Status: string(call.Status),
		Attempt: call.Attempt, HTTPStatus: call.HTTPStatus, Error: call.Error, Truncated: call.ResultTruncated,
		FinishedAt: call.FinishedAt.UTC().Format(time.RFC3339Nano),
	}
	if utf8.Valid(call.Result) {
		body.Result = string(call.Result)
	} else {
		body.Result, body.ResultEncoding = base64.StdEncoding.EncodeToString(call.Result), "base64"
	}
	raw, _ := json.Marshal(body)
	return raw
}

func (c *Callbacks) post(ctx context.Context, call *picasso.CallRecord, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, call.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(picasso.HeaderCallID, call.ID)
	req.Header.Set(picasso.HeaderCallStatus, string(call.Status))
	if key, ok := c.keys.CallbackKey(call.ProjectID); ok {
		timestamp := strconv.FormatInt(time.Now().Unix(), 10)
		req.Header.Set(HeaderTimestamp, timestamp)
		req.Header.Set(HeaderSignature, Sign(key, timestamp, body))
	}
	resp, err := c.client.Do(req)
	if err != nil {
		if errors.Is(err, errPrivateTarget) {
			return errPrivateTarget
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("callback target answered %d", resp.StatusCode)
	}
	return nil
}

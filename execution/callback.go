package execution

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/picasso-faas/picasso"
)

// Headers of a signed callback, the scheme of signed webhook calls: the
// sender's clock in Unix seconds, and
// "sha256=" + hex(HMAC-SHA256(key, timestamp + "." + body)).
const (
	HeaderTimestamp = "X-Picasso-Timestamp"
	HeaderSignature = "X-Picasso-Signature"
)

// Sign returns the X-Picasso-Signature value of body sent at timestamp.
func Sign(key, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// CallbackKeys derives each project's callback signing key from the
// operator's secret, so that every replica signs alike without storing a
// key per project, and no project can sign for another.
type CallbackKeys struct{ secret string }

// NewCallbackKeys returns the keys derived from secret; an empty secret
// means callbacks go unsigned.
func NewCallbackKeys(secret string) *CallbackKeys { return &CallbackKeys{secret: secret} }

// CallbackKey returns the project's key, false when callbacks are unsigned.
func (k *CallbackKeys) CallbackKey(projectID string) (string, bool) {
	if k == nil || k.secret == "" {
		return "", false
	}
	mac := hmac.New(sha256.New, []byte(k.secret))
	mac.Write([]byte("picasso-callback-key\x00" + projectID))
	return hex.EncodeToString(mac.Sum(nil)), true
}

// CallbackConfig tunes callback delivery.
type CallbackConfig struct {
	// AllowPrivate lets callbacks reach loopback, link-local and private
	// addresses; off, such targets are refused (SSRF).
	AllowPrivate bool
	// Attempts bounds the deliveries of one callback (default 3), spaced
	// by Backoff (default 1 s doubling to 10 s).
	Attempts int
	Backoff  Backoff
	// Timeout bounds each delivery (default 10 s).
	Timeout time.Duration
	Logger  *slog.Logger
}

// Callbacks posts the outcome of every call that has a callback URL, once
// the call is final (succeeded or dead). Delivery is retried but not
// durable: the call record stays the source of truth.
type Callbacks struct {
	cfg    CallbackConfig
	keys   *CallbackKeys
	client *http.Client
	sent   func(outcome string)
}

// NewCallbacks returns a sender signing with keys (nil: unsigned).
func NewCallbacks(cfg CallbackConfig, keys *CallbackKeys) *Callbacks {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff.Base <= 0 {
		cfg.Backoff = Backoff{Base: time.Second, Cap: 10 * time.Second}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
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
	return &Callbacks{cfg: cfg, keys: keys, sent: func(string) {}, client: &http.Client{
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

// Finished sends the call's callback in the background when it is due.
func (c *Callbacks) Finished(ctx context.Context, call *picasso.CallRecord) {
	if call.CallbackURL == "" || (call.Status != picasso.CallSucceeded && call.Status != picasso.CallDead) {
		return
	}
	snapshot := *call
	go c.deliver(context.WithoutCancel(ctx), &snapshot)
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

func (c *Callbacks) deliver(ctx context.Context, call *picasso.CallRecord) {
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
	for attempt := 1; ; attempt++ {
		err := c.post(ctx, call, raw)
		if err == nil {
			c.sent("delivered")
			return
		}
		if attempt >= c.cfg.Attempts || errors.Is(err, errPrivateTarget) {
			c.sent("failed")
			c.cfg.Logger.Warn("callback not delivered", "call_id", call.ID, "attempts", attempt, "error", err)
			return
		}
		time.Sleep(c.cfg.Backoff.Delay(attempt))
	}
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

package gateway

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/picasso-faas/picasso"
)

// Headers of a signed webhook call: the sender's clock in Unix seconds,
// and "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
const (
	WebhookTimestampHeader = "X-Picasso-Timestamp"
	WebhookSignatureHeader = "X-Picasso-Signature"
)

const signaturePrefix = "sha256="

// webhookSignatureWindow is how far a signed call's timestamp may be from
// the server's clock; it also bounds how long a call must be remembered
// to refuse its replay.
const webhookSignatureWindow = 5 * time.Minute

// maxRememberedSignatures bounds the replay cache. Only holders of a
// webhook's secret can add to it, so filling it takes over 300 signed
// calls a second; past it, signed calls are shed with 503 rather than let
// a replay through.
const maxRememberedSignatures = 100_000

var (
	errUnsigned = picasso.Errorf(picasso.EBADSIGNATURE,
		"Missing webhook signature: send %s and %s", WebhookTimestampHeader, WebhookSignatureHeader)
	errStaleSignature = picasso.Errorf(picasso.EBADSIGNATURE,
		"Webhook signature timestamp is malformed or more than %d seconds away from the server's clock",
		int(webhookSignatureWindow.Seconds()))
	errBadSignature = picasso.Errorf(picasso.EBADSIGNATURE, "Invalid webhook signature")
	errReplayed     = picasso.Errorf(picasso.EBADSIGNATURE, "Webhook request was already received (replayed)")
	errTooManySigns = picasso.Errorf(picasso.EUNAVAILABLE, "Too many signed webhook calls; retry later")
)

// webhookMAC is HMAC-SHA256(secret, timestamp + "." + body): signing the
// timestamp with the body keeps a captured request from being replayed
// under a fresh timestamp.
func webhookMAC(secret, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// readSignedBody reads the body of a call to a signed webhook and returns
// it once the signature proved it was sent by a holder of the secret,
// recently, and not before.
func (s *Server) readSignedBody(w http.ResponseWriter, r *http.Request, wh *picasso.Webhook, seen *replayCache) ([]byte, error) {
	timestamp, signature := r.Header.Get(WebhookTimestampHeader), r.Header.Get(WebhookSignatureHeader)
	if timestamp == "" || signature == "" {
		return nil, errUnsigned
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	now := time.Now()
	sent := time.Unix(seconds, 0)
	if err != nil || now.Sub(sent).Abs() > webhookSignatureWindow {
		return nil, errStaleSignature
	}
	hexMAC, ok := strings.CutPrefix(signature, signaturePrefix)
	given, err := hex.DecodeString(hexMAC)
	if !ok || err != nil {
		return nil, errBadSignature
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		return nil, s.errTooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, s.errTooLarge()
		}
		return nil, picasso.Wrap(picasso.EINVALID, err, "Could not read the request body")
	}
	if !hmac.Equal(webhookMAC(wh.Secret, timestamp, body), given) {
		return nil, errBadSignature
	}
	// The key is the canonical MAC: the same signature in upper case is
	// the same request.
	if err := seen.remember(wh.ID+":"+hex.EncodeToString(given), sent.Add(webhookSignatureWindow), now); err != nil {
		return nil, err
	}
	return body, nil
}

// replayCache remembers the signatures of accepted calls until their
// timestamps fall out of the window, after which they are refused anyway.
// It is per process: a replay sent to another replica within the window
// is not detected.
type replayCache struct {
	mu      sync.Mutex
	max     int
	expires map[string]time.Time
}

func newReplayCache(max int) *replayCache {
	return &replayCache{max: max, expires: map[string]time.Time{}}
}

// remember records key until expires; errReplayed if it is already
// recorded, errTooManySigns when the cache is full of live entries.
func (c *replayCache) remember(key string, expires, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until, ok := c.expires[key]; ok && now.Before(until) {
		return errReplayed
	}
	if len(c.expires) >= c.max {
		for k, until := range c.expires {
			if !now.Before(until) {
				delete(c.expires, k)
			}
		}
		if len(c.expires) >= c.max {
			return errTooManySigns
		}
	}
	c.expires[key] = expires
	return nil
}

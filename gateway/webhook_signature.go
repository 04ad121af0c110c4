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

var (
	errUnsigned = picasso.Errorf(picasso.EBADSIGNATURE,
		"Missing webhook signature: send %s and %s", WebhookTimestampHeader, WebhookSignatureHeader)
	errStaleSignature = picasso.Errorf(picasso.EBADSIGNATURE,
		"Webhook signature timestamp is malformed or more than %d seconds away from the server's clock",
		int(webhookSignatureWindow.Seconds()))
	errBadSignature = picasso.Errorf(picasso.EBADSIGNATURE, "Invalid webhook signature")
	errReplayed     = picasso.Errorf(picasso.EBADSIGNATURE, "Webhook request was already received (replayed)")
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
func (s *Server) readSignedBody(w http.ResponseWriter, r *http.Request, wh *picasso.Webhook) ([]byte, error) {
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
	// the same request. The store remembers it for every replica until the
	// timestamp leaves the window, after which the call is refused anyway.
	err = s.store.RememberSignature(r.Context(), wh.ID+":"+hex.EncodeToString(given), sent.Add(webhookSignatureWindow))
	if picasso.IsCode(err, picasso.ECONFLICT) {
		return nil, errReplayed
	}
	if err != nil {
		return nil, err
	}
	return body, nil
}

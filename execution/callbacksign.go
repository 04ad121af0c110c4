package execution

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

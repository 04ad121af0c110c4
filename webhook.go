package picasso

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Webhook is an unauthenticated entry point to one route: whoever knows
// its URL token may run the route, public or private. ID is the public,
// non-secret handle of the management API; the token itself is never
// stored, only TokenHash, so a database dump reveals no live URL.
type Webhook struct {
	ID          string `db:"id"`
	AppID       string `db:"app_id"`
	RoutePath   string `db:"route_path"`
	Description string `db:"description"`
	Enabled     bool   `db:"enabled"`
	// TokenHash is HashWebhookToken of the token in the webhook's URL.
	TokenHash string `db:"token_hash"`
	// Secret is the HMAC-SHA256 key calls must be signed with; empty when
	// calls need no signature. It is the key itself: HMAC needs it.
	Secret    string    `db:"secret"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// Signed reports whether calls through the webhook must carry a signature.
func (w *Webhook) Signed() bool { return w.Secret != "" }

// Validate checks the fields of a webhook a client may set.
func (w *Webhook) Validate() error {
	if len(w.Description) > MaxDescription {
		return Errorf(EINVALID, "Webhook description must be %d characters or less", MaxDescription)
	}
	if strings.ContainsRune(w.Description, 0) {
		return Errorf(EINVALID, "Webhook description must not contain NUL")
	}
	return nil
}

// HashWebhookToken is how a webhook's URL token is stored and looked up.
// The token carries 256 random bits, so an unsalted fast hash is enough:
// there is nothing to guess.
func HashWebhookToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

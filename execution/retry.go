package execution

import (
	"math/rand/v2"
	"time"

	"github.com/picasso-faas/picasso"
)

// Backoff spaces the attempts of a failing call: the delay after attempt
// n is a random duration in [d/2, d] with d = min(Base * 2^(n-1), Cap)
// ("equal jitter"), so that calls failing together do not retry together.
type Backoff struct {
	Base, Cap time.Duration
}

// Delay is the wait before the attempt after attempt.
func (b Backoff) Delay(attempt int) time.Duration {
	d := b.Base
	for i := 1; i < attempt && d < b.Cap; i++ {
		d *= 2
	}
	d = min(d, b.Cap)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// retryable reports whether a failed attempt deserves another: a backend
// that is down or overloaded, a timeout, or a function answering 5xx.
// A 4xx, or a call the backend refused as invalid, would fail again.
func retryable(status int, err error) bool {
	if err != nil {
		switch picasso.ErrorCode(err) {
		case picasso.EBADGATEWAY, picasso.ETIMEOUT, picasso.EUNAVAILABLE, picasso.EINTERNAL:
			return true
		}
		return false
	}
	return status >= 500
}

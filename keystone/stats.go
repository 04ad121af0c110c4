package keystone

import "sync/atomic"

// ValidatorStats counts what a Validator did since it was created; the
// metrics endpoint exports them.
type ValidatorStats struct {
	// Validations is the number of GET /v3/auth/tokens calls to Keystone.
	Validations uint64
	// CacheHits and CacheMisses count lookups of non-empty tokens in the
	// cache of valid tokens (all lookups miss when the cache is off).
	CacheHits   uint64
	CacheMisses uint64
	// Invalid counts requests rejected because Keystone rejected the token
	// (now or, for NegativeHits, within NegativeCacheTTL) or it expired.
	Invalid uint64
	// NegativeHits counts rejections answered by the negative cache.
	NegativeHits uint64
	// Unavailable counts requests that failed with EUNAVAILABLE.
	Unavailable uint64
	// Logins counts service-user logins, re-authentications excluded.
	Logins uint64
}

type counters struct {
	validations, cacheHits, cacheMisses, invalid, negativeHits, unavailable, logins atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (v *Validator) Stats() ValidatorStats {
	c := &v.counters
	return ValidatorStats{
		Validations:  c.validations.Load(),
		CacheHits:    c.cacheHits.Load(),
		CacheMisses:  c.cacheMisses.Load(),
		Invalid:      c.invalid.Load(),
		NegativeHits: c.negativeHits.Load(),
		Unavailable:  c.unavailable.Load(),
		Logins:       c.logins.Load(),
	}
}

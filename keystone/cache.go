package keystone

import (
	"crypto/sha256"
	"sync"
	"time"
	"unsafe"
)

// tokenKey identifies a token in memory without keeping the token: its
// SHA-256, as keystonemiddleware keys its cache. An array rather than a
// string so that a lookup does not allocate.
type tokenKey [sha256.Size]byte

// keyOf hashes the token's bytes in place: converting a token longer than
// 32 bytes to a []byte would allocate on every request. Sum256 only reads
// its input, so sharing the string's immutable bytes is safe.
func keyOf(token string) tokenKey {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(token), len(token)))
}

// evictionSample is how many entries a full cache looks at to choose the
// one to drop: the same approximation of "oldest first" Redis uses,
// without the bookkeeping (and the write lock on every hit) of an LRU.
const evictionSample = 8

type cacheEntry[V any] struct {
	value V
	until time.Time
}

// ttlCache is a bounded map from token hashes to values that expire.
type ttlCache[V any] struct {
	mu      sync.RWMutex
	entries map[tokenKey]cacheEntry[V]
	size    int
}

func newTTLCache[V any](size int) *ttlCache[V] {
	return &ttlCache[V]{entries: make(map[tokenKey]cacheEntry[V]), size: size}
}

// get returns the value stored under k unless it expired by now.
func (c *ttlCache[V]) get(k tokenKey, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || !now.Before(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put stores v under k until the given time, evicting an entry when full.
func (c *ttlCache[V]) put(k tokenKey, v V, until, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.size {
		c.evictLocked(now)
	}
	c.entries[k] = cacheEntry[V]{value: v, until: until}
}

func (c *ttlCache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// evictLocked drops the expired entries among a sample of the map (whose
// iteration starts at a random place) or, if none expired, the sampled
// entry that expires first.
func (c *ttlCache[V]) evictLocked(now time.Time) {
	var victim tokenKey
	var victimUntil time.Time
	haveVictim, expired, seen := false, false, 0
	for k, e := range c.entries {
		switch {
		case !now.Before(e.until):
			delete(c.entries, k)
			expired = true
		case !haveVictim || e.until.Before(victimUntil):
			victim, victimUntil, haveVictim = k, e.until, true
		}
		if seen++; seen == evictionSample {
			break
		}
	}
	if !expired && haveVictim {
		delete(c.entries, victim)
	}
}

package auth

import (
	"sync"
	"time"
)

// tokenCache remembers verified tokens, keyed by their SHA-256, up to a fixed
// number of entries. When full, the oldest entry goes first: tokens are issued
// with one lifetime, so the oldest entry is also the first to expire. An entry
// past its token's expiry stays until pushed out, but Tokens.Verify refuses it.
// Memory is taken as entries arrive, not for max up front: an idle replica with
// a large bound costs nothing.
type tokenCache struct {
	mu      sync.RWMutex
	max     int
	entries map[[32]byte]Principal
	order   [][32]byte // insertion order: grows to max slots, then is a ring
	next    int
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, entries: map[[32]byte]Principal{}}
}

func (c *tokenCache) get(key [32]byte) (Principal, bool) {
	if c.max == 0 {
		return Principal{}, false
	}
	c.mu.RLock()
	p, ok := c.entries[key]
	c.mu.RUnlock()
	return p, ok
}

func (c *tokenCache) put(key [32]byte, p Principal, now time.Time) {
	if c.max == 0 || !now.Before(p.ExpiresAt) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = p
	if len(c.order) < c.max {
		c.order = append(c.order, key)
		return
	}
	delete(c.entries, c.order[c.next])
	c.order[c.next] = key
	c.next = (c.next + 1) % c.max
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

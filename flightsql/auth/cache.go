package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// maxCacheEntries bounds the verification cache. When it is full, expired
// entries are dropped, and if that is not enough, all of them.
const maxCacheEntries = 4096

// verifyCache remembers successful password checks for a short time, so a
// client that sends Basic credentials on every call pays for bcrypt once.
// Entries are keyed by user and the SHA-256 of the password; the password
// itself is never kept. Failed checks are not cached.
type verifyCache struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[cacheKey]time.Time // expiry
}

type cacheKey struct {
	user string
	sum  [sha256.Size]byte
}

func newVerifyCache(ttl time.Duration, now func() time.Time) *verifyCache {
	return &verifyCache{ttl: ttl, now: now, entries: map[cacheKey]time.Time{}}
}

// verify reports whether users accepts (user, password), consulting and
// filling the cache.
func (c *verifyCache) verify(users UserStore, user, password string) bool {
	if c.ttl <= 0 {
		return users.Verify(user, password)
	}
	k := cacheKey{user: user, sum: sha256.Sum256([]byte(password))}
	now := c.now()
	c.mu.Lock()
	exp, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Before(exp) {
		return true
	}
	if !users.Verify(user, password) {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		for k, exp := range c.entries {
			if !now.Before(exp) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[k] = now.Add(c.ttl)
	return true
}

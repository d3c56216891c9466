package webhook

import (
	"sync"
	"time"
)

// tokenCache remembers Mailgun tokens until they expire.
type tokenCache struct {
	mu      sync.Mutex
	until   map[string]time.Time
	pruneAt int // prune expired entries when the map reaches this size
}

// add records token until expiry and reports whether it was new.
func (c *tokenCache) add(token string, expiry, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.until == nil {
		c.until = map[string]time.Time{}
	}
	if t, ok := c.until[token]; ok && now.Before(t) {
		return false
	}
	if len(c.until) >= c.pruneAt {
		for k, t := range c.until {
			if !now.Before(t) {
				delete(c.until, k)
			}
		}
		// Amortise: the next sweep waits until the map doubles.
		c.pruneAt = max(2*len(c.until), defaultMinTokenPruning)
	}
	c.until[token] = expiry
	return true
}

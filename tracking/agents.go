package tracking

import "sync"

// agentCache remembers the verdict on each user agent seen: readers send
// few distinct ones, and the table's substring search, case folded, costs
// more than the rest of a click. Agents are the client's to choose, so the
// memory is bounded and starts over when full.
type agentCache struct {
	scanners *Scanners
	mu       sync.RWMutex
	seen     map[string]bool
}

// maxAgents bounds the cache; about 300 bytes each.
const maxAgents = 4096

// scanner is Scanners.Agent, remembered.
func (a *agentCache) scanner(ua string) bool {
	a.mu.RLock()
	v, ok := a.seen[ua]
	a.mu.RUnlock()
	if ok {
		return v
	}
	v = a.scanners.Agent(ua)
	if len(ua) > 512 {
		return v // not worth keeping
	}
	a.mu.Lock()
	if a.seen == nil || len(a.seen) >= maxAgents {
		a.seen = make(map[string]bool, 64)
	}
	a.seen[ua] = v
	a.mu.Unlock()
	return v
}

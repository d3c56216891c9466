package web

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter gives each client key its own token bucket. It is safe for
// concurrent use and starts no goroutines: idle entries are swept inline, at
// most once per sweep interval, so a Handler used without Open (tests,
// another server) needs no cleanup.
type limiter struct {
	limit rate.Limit
	burst int
	max   int
	// idle is how long an entry may go unused before it is dropped. It is
	// at least the time a bucket takes to refill, after which an entry is
	// indistinguishable from a new one, so eviction never lets a client
	// through that would otherwise have been held back.
	idle time.Duration

	mu        sync.Mutex
	clients   map[string]*client
	overflow  *rate.Limiter // shared by new clients while the map is full
	lastSweep time.Time
}

type client struct {
	lim  *rate.Limiter
	seen time.Time
}

// newLimiter returns nil (no limiting) for a negative rate.
func newLimiter(perSecond float64, burst, maxClients int) *limiter {
	if perSecond < 0 {
		return nil
	}
	refill := time.Duration(math.Ceil(float64(burst) / perSecond * float64(time.Second)))
	return &limiter{
		limit:    rate.Limit(perSecond),
		burst:    burst,
		max:      maxClients,
		idle:     max(refill, time.Minute),
		clients:  map[string]*client{},
		overflow: rate.NewLimiter(rate.Limit(perSecond), burst),
	}
}

// allow takes a token for key at now. When none is left it returns false
// and how long until one will be.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	// A full map is swept early, but at most once a second, so a flood of
	// new addresses cannot make every request walk the whole map.
	since := now.Sub(l.lastSweep)
	if since >= l.idle/2 || (len(l.clients) >= l.max && since >= time.Second) {
		l.sweep(now)
	}
	c := l.clients[key]
	var lim *rate.Limiter
	switch {
	case c != nil:
		c.seen = now
		lim = c.lim
	case len(l.clients) < l.max:
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients[key] = &client{lim: lim, seen: now}
	default:
		lim = l.overflow
	}
	l.mu.Unlock()

	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.idle
	}
	if d := r.DelayFrom(now); d > 0 {
		// Give the token back: a refused request must not push the
		// client's next chance further out.
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops entries idle for longer than l.idle. Called with l.mu held.
func (l *limiter) sweep(now time.Time) {
	for k, c := range l.clients {
		if now.Sub(c.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
	l.lastSweep = now
}

// size reports how many clients are remembered, for tests.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

package web

import (
	"container/list"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter gives each client key its own token bucket, remembering at most
// max clients. It is safe for concurrent use and starts no goroutines.
//
// When the table is full, the least recently seen client is forgotten to
// make room. A forgotten client that returns starts with a full bucket, so
// only someone who controls more addresses than the table holds (max
// distinct IPv4 addresses or IPv6 /64s) can reset a bucket this way, and
// they could as well have used their other addresses. No new client ever
// shares another's bucket.
type limiter struct {
	limit rate.Limit
	burst int
	max   int
	// idle is how long an entry may go unused before it is dropped even
	// when the table has room: at least the time a bucket takes to refill,
	// after which an entry is indistinguishable from a new one.
	idle time.Duration

	mu      sync.Mutex
	clients map[netip.Addr]*list.Element // values are *client
	lru     list.List                    // front: most recently seen
}

type client struct {
	key  netip.Addr
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
		limit:   rate.Limit(perSecond),
		burst:   burst,
		max:     max(maxClients, 1),
		idle:    max(refill, time.Minute),
		clients: map[netip.Addr]*list.Element{},
	}
}

// allow takes a token for key at now. When none is left it returns false
// and how long until one will be.
func (l *limiter) allow(key netip.Addr, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	var c *client
	if el, ok := l.clients[key]; ok {
		l.lru.MoveToFront(el)
		c = el.Value.(*client)
	} else {
		c = l.add(key, now)
	}
	c.seen = now
	lim := c.lim
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

// add remembers a new client, first dropping idle entries and, if the
// table is still full, the least recently seen one. Called with l.mu held.
func (l *limiter) add(key netip.Addr, now time.Time) *client {
	for el := l.lru.Back(); el != nil; el = l.lru.Back() {
		old := el.Value.(*client)
		if len(l.clients) < l.max && now.Sub(old.seen) < l.idle {
			break
		}
		l.lru.Remove(el)
		delete(l.clients, old.key)
	}
	c := &client{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
	l.clients[key] = l.lru.PushFront(c)
	return c
}

// size reports how many clients are remembered, for tests.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

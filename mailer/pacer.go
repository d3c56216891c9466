package mailer

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// pacer spaces messages to a rate shared by every connection. The bucket
// holds at most a few tokens, so a pause never turns into a burst.
type pacer struct {
	lim   *rate.Limiter // nil: unlimited
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// pacerBurst keeps the bucket small: a handful of tokens, fewer at low rates.
func pacerBurst(perSecond float64) int {
	return int(math.Max(1, math.Min(4, math.Floor(perSecond/20))))
}

func newPacer(perSecond float64, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	p := &pacer{now: now, sleep: sleep}
	if perSecond > 0 {
		p.lim = rate.NewLimiter(rate.Limit(perSecond), pacerBurst(perSecond))
		// Start empty-ish: the first messages go at the configured pace
		// rather than as a burst of the whole bucket.
		p.lim.AllowN(now(), pacerBurst(perSecond))
	}
	return p
}

// wait blocks until the next message may go. It uses the injected clock so
// that tests can check the pace without real time passing.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil || p.lim == nil {
		return ctx.Err()
	}
	now := p.now()
	r := p.lim.ReserveN(now, 1)
	if !r.OK() {
		return ctx.Err()
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := p.sleep(ctx, d); err != nil {
			r.CancelAt(p.now())
			return err
		}
	}
	return nil
}

// caps enforces rolling hourly and daily quotas (SES, Gmail and others
// count that way) with per-minute buckets.
type caps struct {
	mu     sync.Mutex
	hourly int
	daily  int
	// One bucket more than a day: see count.
	buckets [24*60 + 1]int   // sends per minute, indexed by absolute minute
	stamps  [24*60 + 1]int64 // which absolute minute each bucket holds
}

func newCaps(hourly, daily int) *caps {
	if hourly <= 0 && daily <= 0 {
		return nil
	}
	return &caps{hourly: hourly, daily: daily}
}

// count sums the buckets that may hold a send within window of now. A
// bucket's sends happened somewhere in its minute, so it counts until the
// window has passed the end of that minute: span+1 buckets. Counting only
// span would let a provider measuring to the second see one minute's sends
// too many.
func (c *caps) count(now time.Time, window time.Duration) int {
	minute := now.Unix() / 60
	span := int64(window / time.Minute)
	n := 0
	for i := int64(0); i <= span; i++ {
		m := minute - i
		idx := m % int64(len(c.buckets))
		if c.stamps[idx] == m {
			n += c.buckets[idx]
		}
	}
	return n
}

// seed loads sends that happened before this run (from the ledger). Only
// their counts are known, so each lump is put at the latest time it could
// have been sent: the last hour's now, the rest of the day's an hour ago.
// They then count for as long as they could be in the provider's window;
// placing them earlier would let a restarted run send a second quota.
func (c *caps) seed(now time.Time, lastHour, lastDay int) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	minute := now.Unix() / 60
	put := func(m int64, n int) {
		idx := m % int64(len(c.buckets))
		if c.stamps[idx] != m {
			c.stamps[idx], c.buckets[idx] = m, 0
		}
		c.buckets[idx] += n
	}
	put(minute, lastHour)
	put(minute-60, max(0, lastDay-lastHour))
}

// reserve takes one send from the quotas, or says how long to wait.
func (c *caps) reserve(now time.Time) (time.Duration, string) {
	if c == nil {
		return 0, ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hourly > 0 && c.count(now, time.Hour) >= c.hourly {
		return c.untilFree(now, time.Hour, c.hourly), "hourly limit"
	}
	if c.daily > 0 && c.count(now, 24*time.Hour) >= c.daily {
		return c.untilFree(now, 24*time.Hour, c.daily), "daily limit"
	}
	m := now.Unix() / 60
	idx := m % int64(len(c.buckets))
	if c.stamps[idx] != m {
		c.stamps[idx], c.buckets[idx] = m, 0
	}
	c.buckets[idx]++
	return 0, ""
}

// untilFree finds when enough old minutes leave the window to allow one more.
func (c *caps) untilFree(now time.Time, window time.Duration, limit int) time.Duration {
	minute := now.Unix() / 60
	span := int64(window / time.Minute)
	excess := c.count(now, window) - limit + 1
	for i := span; i >= 0; i-- {
		m := minute - i
		idx := m % int64(len(c.buckets))
		if c.stamps[idx] == m {
			excess -= c.buckets[idx]
		}
		if excess <= 0 {
			free := time.Unix((m+span+1)*60, 0)
			return max(free.Sub(now), time.Second)
		}
	}
	return time.Minute
}

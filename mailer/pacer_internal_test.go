package mailer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// simClock is a fake clock for goroutines that sleep on it: time stands
// still while any of them runs, and when all are asleep it jumps to the
// earliest wake-up. The pacer's schedule can then be checked to the
// nanosecond, with real concurrency, in no real time.
type simClock struct {
	mu       sync.Mutex
	cond     *sync.Cond
	now      time.Time
	running  int // goroutines not asleep
	sleepers []*sleeper
}

type sleeper struct {
	wake time.Time
	ch   chan struct{}
}

func newSimClock() *simClock {
	c := &simClock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *simClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *simClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *simClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	s := &sleeper{wake: c.now.Add(d), ch: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.running--
	c.cond.Broadcast()
	c.mu.Unlock()
	<-s.ch
	return ctx.Err()
}

// run starts n goroutines and drives the clock until all have returned.
func (c *simClock) run(n int, f func(i int)) {
	c.mu.Lock()
	c.running += n
	c.mu.Unlock()
	for i := range n {
		go func() {
			defer func() {
				c.mu.Lock()
				c.running--
				c.cond.Broadcast()
				c.mu.Unlock()
			}()
			f(i)
		}()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for c.running > 0 {
			c.cond.Wait()
		}
		if len(c.sleepers) == 0 {
			return
		}
		slices.SortStableFunc(c.sleepers, func(a, b *sleeper) int { return a.wake.Compare(b.wake) })
		s := c.sleepers[0]
		c.sleepers = c.sleepers[1:]
		if s.wake.After(c.now) {
			c.now = s.wake
		}
		c.running++
		close(s.ch)
	}
}

// paced runs waits calls to p.wait spread over g goroutines and returns
// the times at which they were let through, in order.
func paced(t *testing.T, c *simClock, p *pacer, g, waits int) []time.Time {
	t.Helper()
	var mu sync.Mutex
	var times []time.Time
	per := waits / g
	c.run(g, func(i int) {
		n := per
		if i == 0 {
			n += waits % g
		}
		for range n {
			if err := p.wait(context.Background()); err != nil {
				t.Error(err)
				return
			}
			now := c.Now()
			mu.Lock()
			times = append(times, now)
			mu.Unlock()
		}
	})
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	return times
}

func TestPacerBurst(t *testing.T) {
	for _, tc := range []struct {
		rate float64
		want int
	}{{0.5, 1}, {1, 1}, {20, 1}, {39, 1}, {40, 2}, {60, 3}, {80, 4}, {200, 4}, {10000, 4}} {
		if got := pacerBurst(tc.rate); got != tc.want {
			t.Errorf("pacerBurst(%v) = %d; want %d", tc.rate, got, tc.want)
		}
	}
}

// TestPacerSpacingIsExact: N messages at rate r, from one goroutine or
// shared by several, leave exactly 1/r apart from the start, with no
// initial burst: the measured rate is the configured one.
func TestPacerSpacingIsExact(t *testing.T) {
	for _, rate := range []float64{1, 14, 50, 200, 1000, 5000} {
		for _, g := range []int{1, 4, 10} {
			t.Run(fmt.Sprintf("rate=%v/goroutines=%d", rate, g), func(t *testing.T) {
				c := newSimClock()
				p := newPacer(rate, c.Now, c.Sleep)
				start := c.Now()
				const waits = 120
				times := paced(t, c, p, g, waits)
				if len(times) != waits {
					t.Fatalf("%d waits returned; want %d", len(times), waits)
				}
				step := time.Duration(float64(time.Second) / rate)
				for k, at := range times {
					want := start.Add(time.Duration(float64(k+1) * float64(time.Second) / rate))
					if d := at.Sub(want); d < -time.Microsecond || d > time.Microsecond {
						t.Fatalf("message %d left at +%v; want +%v (step %v)", k, at.Sub(start), want.Sub(start), step)
					}
				}
				measured := float64(waits-1) / times[waits-1].Sub(times[0]).Seconds()
				if ratio := measured / rate; ratio < 0.9999 || ratio > 1.0001 {
					t.Errorf("measured %.4f/s; want %v/s", measured, rate)
				}
			})
		}
	}
}

// TestPacerBurstAfterPause: after an idle spell the bucket refills to
// pacerBurst tokens and no further, so at most that many messages leave
// together; then the pace resumes.
func TestPacerBurstAfterPause(t *testing.T) {
	for _, rate := range []float64{10, 50, 200, 1000} {
		for _, g := range []int{1, 8} {
			t.Run(fmt.Sprintf("rate=%v/goroutines=%d", rate, g), func(t *testing.T) {
				c := newSimClock()
				p := newPacer(rate, c.Now, c.Sleep)
				burst := pacerBurst(rate)
				paced(t, c, p, g, 20)
				c.advance(time.Hour)
				resumed := c.Now()
				times := paced(t, c, p, g, 60)

				together := 0
				for _, at := range times {
					if at.Equal(resumed) {
						together++
					}
				}
				if together != burst {
					t.Errorf("%d messages left at once after the pause; want the bucket's %d", together, burst)
				}
				// Over any window, no more than the burst plus the rate allows.
				for i := range times {
					for j := i; j < len(times); j++ {
						w := times[j].Sub(times[i]).Seconds()
						if allowed := float64(burst) + w*rate + 1e-6; float64(j-i+1) > allowed {
							t.Fatalf("%d messages within %.4fs; at most %.2f allowed", j-i+1, w, allowed)
						}
					}
				}
				last := times[len(times)-1]
				want := resumed.Add(time.Duration(float64(len(times)-burst) * float64(time.Second) / rate))
				if d := last.Sub(want); d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("last message at +%v after the pause; want +%v", last.Sub(resumed), want.Sub(resumed))
				}
			})
		}
	}
}

// TestPacerCancelledWaitGivesBackItsTurn: a worker stopped while waiting
// must not leave a gap in the schedule of the others.
func TestPacerCancelledWaitGivesBackItsTurn(t *testing.T) {
	c := newSimClock()
	p := newPacer(10, c.Now, c.Sleep)
	start := c.Now()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	c.run(1, func(int) { err = p.wait(ctx) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context = %v; want context.Canceled", err)
	}
	// The cancelled reservation was for +100ms; the clock now stands there,
	// and the next message may go at once rather than at +200ms.
	times := paced(t, c, p, 1, 1)
	if got := times[0].Sub(start); got != 100*time.Millisecond {
		t.Errorf("next message at +%v after a cancelled wait; want +100ms", got)
	}
}

func TestPacerUnlimited(t *testing.T) {
	c := newSimClock()
	p := newPacer(0, c.Now, c.Sleep)
	start := c.Now()
	times := paced(t, c, p, 4, 1000)
	if !times[len(times)-1].Equal(start) {
		t.Errorf("an unlimited pacer waited %v", times[len(times)-1].Sub(start))
	}
	var nilPacer *pacer
	if err := nilPacer.wait(context.Background()); err != nil {
		t.Errorf("nil pacer: %v", err)
	}
}

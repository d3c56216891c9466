package campaign

import (
	"fmt"
	"sync"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Guardrails are the reputation limits a running campaign is held to.
// Crossing one pauses the campaign until an explicit Resume.
type Guardrails struct {
	// MaxBounceRate is the largest share of deliveries (sent or failed)
	// that may hard-bounce, in percent; 0 turns the check off.
	MaxBounceRate float64
	// MaxComplaintRate is the largest share of deliveries that may be
	// reported as spam, in percent; 0 turns the check off.
	MaxComplaintRate float64
	// MinDeliveries is how many deliveries a campaign must have before
	// its rates are judged: a few early bounces say little. Default 200.
	MinDeliveries int
}

// guard watches one run against the guardrails. The mailer asks it after
// every delivery (check); the heartbeat passes on what the store counts
// meanwhile (observe), which includes bounces and complaints that arrive
// later by mail or webhook. Rates are judged over the run's deliveries, so
// that a campaign resumed after a guardrail pause gets a fresh judgement of
// its next deliveries rather than pausing again at once.
type guard struct {
	cfg  Guardrails
	base subscribers.CampaignStats // the campaign before this run

	mu         sync.Mutex
	last       mailer.Tally
	hard       int // hard bounces the store counts, at the last heartbeat
	complaints int
	reason     string // set once a guardrail is crossed
}

func newGuard(cfg Guardrails, base subscribers.CampaignStats) *guard {
	if cfg.MinDeliveries <= 0 {
		cfg.MinDeliveries = 200
	}
	return &guard{cfg: cfg, base: base, hard: base.HardBounces, complaints: base.Complaints}
}

// check judges the campaign with this run's counts so far and returns why
// it must pause, or "".
func (g *guard) check(t mailer.Tally) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.last = t
	return g.judge()
}

// observe records the store's counts of bounces and complaints and judges
// the campaign again.
func (g *guard) observe(b subscribers.BounceCounts) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.hard, g.complaints = b.Hard, b.Complaints
	return g.judge()
}

// fired returns why a guardrail paused the run, or "".
func (g *guard) fired() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

func (g *guard) judge() string {
	if g.reason != "" {
		return g.reason
	}
	deliveries := g.last.Sent + g.last.Failed
	if deliveries < g.cfg.MinDeliveries {
		return ""
	}
	// The store's count includes this run's bounces once the heartbeat
	// has seen them, and those that arrived by mail; the run's own count
	// is never older.
	hard := max(g.last.HardBounces, g.hard-g.base.HardBounces)
	complaints := g.complaints - g.base.Complaints
	if rate := percent(hard, deliveries); g.cfg.MaxBounceRate > 0 && rate > g.cfg.MaxBounceRate {
		g.reason = fmt.Sprintf("the bounce-rate guardrail: %d hard bounces in %d deliveries (%.1f%%, the limit is %g%%); "+
			"check the list's source and remove stale addresses before resuming", hard, deliveries, rate, g.cfg.MaxBounceRate)
	} else if rate := percent(complaints, deliveries); g.cfg.MaxComplaintRate > 0 && rate > g.cfg.MaxComplaintRate {
		g.reason = fmt.Sprintf("the complaint-rate guardrail: %d spam complaints in %d deliveries (%.2f%%, the limit is %g%%); "+
			"check that everyone on the list asked for this mail before resuming", complaints, deliveries, rate, g.cfg.MaxComplaintRate)
	}
	return g.reason
}

func percent(n, of int) float64 { return 100 * float64(n) / float64(of) }

package tracking

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultScannerWindow = time.Minute
	DefaultBurstWindow   = 5 * time.Second
	DefaultFlushEvery    = time.Second
	DefaultMaxVisitors   = 1 << 20
)

// Store keeps the counts.
type Store interface {
	AddClicks(ctx context.Context, deltas []subscribers.ClickDelta, individual []subscribers.IndividualClick, opens []subscribers.OpenDelta) error
}

// Config configures a Counter.
type Config struct {
	Store Store // required
	// ScannerWindow: a click this soon after its delivery is a machine's
	// (tracking.scanner_window). Zero means DefaultScannerWindow.
	ScannerWindow time.Duration
	// BurstWindow: a reader who hits every link of a campaign (two or
	// more) within it is a machine, and so were its earlier clicks of the
	// burst.
	BurstWindow time.Duration
	// FlushEvery is how often counts go to the store; a crash loses at
	// most this much.
	FlushEvery time.Duration
	// Scanners is the table of known scanners; nil means the embedded one.
	Scanners *Scanners
	// MaxVisitors bounds the readers remembered for the day; past it the
	// memory is reset, which can only count someone twice.
	MaxVisitors int
	Logger      *slog.Logger
	Now         func() time.Time
}

// Click is one counted request of a tracked link.
type Click struct {
	CampaignID int64
	N          int
	// Links is how many links the campaign has, for the burst rule.
	Links int
	// DeliveryID is the delivery in individual mode; 0 in aggregate mode,
	// where nothing names the reader.
	DeliveryID int64
	// SentAt is when the delivery was sent (individual mode), or when the
	// campaign last sent one (aggregate mode, where the delivery is not
	// known); zero when unknown.
	SentAt    time.Time
	IP        netip.Addr
	UserAgent string
}

// Verdict is how a click was counted.
type Verdict struct {
	Machine bool
	Reason  string // why a machine; "" for a person
}

// Why a click is a machine's.
const (
	ReasonAgent   = "user agent"
	ReasonAddress = "scanner address"
	ReasonWindow  = "within the scanner window of the delivery"
	ReasonBurst   = "every link within seconds"
)

// Counter classifies and counts clicks and opens in memory and flushes
// them to the store. It is safe for concurrent use.
type Counter struct {
	cfg Config

	mu       sync.Mutex
	day      int64
	salt     []byte
	visitors map[[16]byte]*visitor
	deltas   map[deltaKey]*subscribers.ClickDelta
	ready    []subscribers.IndividualClick // out of the burst window
	opens    map[deltaKey]int
	flushMu  sync.Mutex // one flush at a time, so counts are added in order
}

type deltaKey struct {
	campaign int64
	n        int
	hour     int64
}

// visitor is what the counter remembers of one reader for the day.
type visitor struct {
	counted    map[int]bool      // links whose unique human this reader is today
	last       map[int]time.Time // when each link was last hit
	recent     []recent          // clicks within the burst window, at most maxRecent
	burstUntil time.Time
}

// maxRecent bounds the clicks of one reader a burst can still turn into
// machines'; past it (a reader behind a busy NAT, a load test) the oldest
// are settled as they were counted.
const maxRecent = 64

type recent struct {
	n      int
	at     time.Time
	human  bool
	unique bool
	click  *subscribers.IndividualClick // individual mode: recorded once out of the window
}

// New returns a Counter; call Run to flush it.
func New(cfg Config) (*Counter, error) {
	if cfg.Store == nil {
		return nil, errors.New("tracking: store is required")
	}
	if cfg.ScannerWindow == 0 {
		cfg.ScannerWindow = DefaultScannerWindow
	}
	if cfg.BurstWindow <= 0 {
		cfg.BurstWindow = DefaultBurstWindow
	}
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = DefaultFlushEvery
	}
	if cfg.Scanners == nil {
		cfg.Scanners = DefaultScanners()
	}
	if cfg.MaxVisitors <= 0 {
		cfg.MaxVisitors = DefaultMaxVisitors
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Counter{cfg: cfg, deltas: map[deltaKey]*subscribers.ClickDelta{}, opens: map[deltaKey]int{},
		visitors: map[[16]byte]*visitor{}}, nil
}

// Judge applies the rules that need no memory: the user agent, the
// address and the scanner window.
func (c *Counter) Judge(cl Click, at time.Time) Verdict {
	switch {
	case c.cfg.Scanners.Agent(cl.UserAgent):
		return Verdict{true, ReasonAgent}
	case cl.IP.IsValid() && c.cfg.Scanners.Address(cl.IP):
		return Verdict{true, ReasonAddress}
	case !cl.SentAt.IsZero() && at.Sub(cl.SentAt) < c.cfg.ScannerWindow:
		return Verdict{true, ReasonWindow}
	}
	return Verdict{}
}

// Click counts a click now and says how it was counted. A later click can
// still turn it into a machine's (a burst).
func (c *Counter) Click(cl Click) Verdict {
	at := c.cfg.Now()
	v := c.Judge(cl, at)
	c.mu.Lock()
	defer c.mu.Unlock()
	vis := c.visitor(cl, at)
	vis.prune(at.Add(-c.cfg.BurstWindow), &c.ready)
	if !v.Machine && at.Before(vis.burstUntil) {
		v = Verdict{true, ReasonBurst}
	}
	vis.last[cl.N] = at
	if cl.Links >= 2 && vis.hitsAll(cl.Links, at.Add(-c.cfg.BurstWindow)) {
		vis.burstUntil = at.Add(c.cfg.BurstWindow)
		for i := range vis.recent {
			c.unhuman(cl.CampaignID, vis, &vis.recent[i])
		}
		v = Verdict{true, ReasonBurst}
	}
	r := recent{n: cl.N, at: at, human: !v.Machine}
	d := c.delta(cl.CampaignID, cl.N, at)
	if v.Machine {
		d.Machine++
	} else {
		d.Human++
		if !vis.counted[cl.N] {
			vis.counted[cl.N] = true
			d.UniqueHumans++
			r.unique = true
		}
	}
	if cl.DeliveryID != 0 {
		r.click = &subscribers.IndividualClick{CampaignID: cl.CampaignID, N: cl.N, DeliveryID: cl.DeliveryID, At: at, Machine: v.Machine}
	}
	if len(vis.recent) >= maxRecent {
		vis.settle(1, &c.ready)
	}
	vis.recent = append(vis.recent, r)
	return v
}

// unhuman moves a click of a burst from the human to the machine count.
func (c *Counter) unhuman(campaign int64, vis *visitor, r *recent) {
	if r.click != nil {
		r.click.Machine = true
	}
	if !r.human {
		return
	}
	d := c.delta(campaign, r.n, r.at)
	d.Human--
	d.Machine++
	if r.unique {
		d.UniqueHumans--
		vis.counted[r.n] = false
	}
	r.human, r.unique = false, false
}

// Open counts a fetch of a campaign's pixel.
func (c *Counter) Open(campaignID int64) {
	at := c.cfg.Now()
	c.mu.Lock()
	c.opens[deltaKey{campaign: campaignID, hour: hourOf(at)}]++
	c.mu.Unlock()
}

func hourOf(t time.Time) int64 { return t.Unix() - t.Unix()%3600 }

func (c *Counter) delta(campaign int64, n int, at time.Time) *subscribers.ClickDelta {
	k := deltaKey{campaign, n, hourOf(at)}
	d := c.deltas[k]
	if d == nil {
		d = &subscribers.ClickDelta{CampaignID: campaign, N: n, Hour: time.Unix(k.hour, 0).UTC()}
		c.deltas[k] = d
	}
	return d
}

// visitor finds the reader of a click: the delivery in individual mode,
// else the address and user agent, each keyed by an HMAC with the day's
// salt. A new day starts with a new salt and forgets everyone.
func (c *Counter) visitor(cl Click, at time.Time) *visitor {
	day := at.Unix() / 86400
	if day != c.day || c.salt == nil || len(c.visitors) >= c.cfg.MaxVisitors {
		for _, v := range c.visitors {
			v.prune(at.Add(time.Hour*48), &c.ready) // keep their individual clicks
		}
		c.day, c.salt, c.visitors = day, newSalt(), map[[16]byte]*visitor{}
	}
	h := hmac.New(sha256.New, c.salt)
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(cl.CampaignID))
	binary.BigEndian.PutUint64(b[8:], uint64(cl.DeliveryID))
	h.Write(b[:])
	if cl.DeliveryID == 0 {
		ip := cl.IP.As16()
		h.Write(ip[:])
		h.Write([]byte(cl.UserAgent))
	}
	var key [16]byte
	copy(key[:], h.Sum(nil))
	v := c.visitors[key]
	if v == nil {
		v = &visitor{counted: map[int]bool{}, last: map[int]time.Time{}}
		c.visitors[key] = v
	}
	return v
}

func newSalt() []byte {
	s := make([]byte, 32)
	_, _ = rand.Read(s) // crypto/rand.Read never fails (Go 1.24+)
	return s
}

// prune forgets clicks before since, handing their individual records on.
func (v *visitor) prune(since time.Time, ready *[]subscribers.IndividualClick) {
	i := 0
	for i < len(v.recent) && v.recent[i].at.Before(since) {
		i++
	}
	v.settle(i, ready)
}

// settle forgets the n oldest recent clicks, handing their individual
// records on.
func (v *visitor) settle(n int, ready *[]subscribers.IndividualClick) {
	for _, r := range v.recent[:n] {
		if r.click != nil {
			*ready = append(*ready, *r.click)
		}
	}
	v.recent = append(v.recent[:0], v.recent[n:]...)
}

// hitsAll reports whether the reader hit links distinct links since.
func (v *visitor) hitsAll(links int, since time.Time) bool {
	n := 0
	for _, t := range v.last {
		if !t.Before(since) {
			n++
		}
	}
	return n >= links
}

// Run flushes every FlushEvery until ctx ends, then flushes everything
// left, individual clicks still in their burst window included. It
// blocks.
func (c *Counter) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := c.FlushAll(fctx); err != nil {
				c.cfg.Logger.Error("flush clicks at shutdown", "err", err)
			}
			return
		case <-t.C:
			if err := c.Flush(ctx); err != nil && ctx.Err() == nil {
				c.cfg.Logger.Warn("flush clicks; kept for the next flush", "err", err)
			}
		}
	}
}

// FlushAll is Flush after handing on every individual click, even those
// a burst could still change: for shutdown.
func (c *Counter) FlushAll(ctx context.Context) error {
	c.mu.Lock()
	for _, v := range c.visitors {
		v.prune(c.cfg.Now().Add(time.Hour*48), &c.ready)
	}
	c.mu.Unlock()
	return c.Flush(ctx)
}

// Flush writes the counts gathered since the last flush. On failure they
// are kept for the next one.
func (c *Counter) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	deltas, ready, opens := c.deltas, c.ready, c.opens
	c.deltas, c.ready, c.opens = map[deltaKey]*subscribers.ClickDelta{}, nil, map[deltaKey]int{}
	c.mu.Unlock()
	if len(deltas)+len(ready)+len(opens) == 0 {
		return nil
	}
	ds := make([]subscribers.ClickDelta, 0, len(deltas))
	for _, d := range deltas {
		if d.Human != 0 || d.Machine != 0 || d.UniqueHumans != 0 {
			ds = append(ds, *d)
		}
	}
	os := make([]subscribers.OpenDelta, 0, len(opens))
	for k, n := range opens {
		os = append(os, subscribers.OpenDelta{CampaignID: k.campaign, Hour: time.Unix(k.hour, 0).UTC(), Opens: n})
	}
	// Visitors are a map: put their clicks back in time order.
	slices.SortStableFunc(ready, func(a, b subscribers.IndividualClick) int { return a.At.Compare(b.At) })
	err := c.cfg.Store.AddClicks(ctx, ds, ready, os)
	if err == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, d := range deltas {
		m := c.delta(k.campaign, k.n, time.Unix(k.hour, 0))
		m.Human += d.Human
		m.Machine += d.Machine
		m.UniqueHumans += d.UniqueHumans
	}
	c.ready = append(ready, c.ready...)
	for k, n := range opens {
		c.opens[k] += n
	}
	return err
}

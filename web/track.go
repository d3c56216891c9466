package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/tracking"
)

// TrackingStore is what the redirect and the open pixel need.
type TrackingStore interface {
	tracking.Store
	FindCampaignTracking(ctx context.Context, id int64) (subscribers.CampaignTracking, error)
	FindCampaignLinks(ctx context.Context, id int64) ([]subscribers.TrackedLink, error)
	DeliverySentAt(ctx context.Context, deliveryID int64) (int64, time.Time, error)
	CampaignLastSentAt(ctx context.Context, id int64) (time.Time, error)
}

// refreshEvery is how long a campaign's links and latest send time are
// trusted from memory. Links never change once registered; the latest
// send moves while a campaign sends.
const refreshEvery = time.Second

// maxDeliveries bounds the deliveries whose send time is kept in memory;
// past it the memory starts over.
const maxDeliveries = 1 << 17

// linkCache keeps each clicked campaign's links in memory, and the send
// time of each clicked delivery, so a redirect costs no query: links of a
// campaign never change once registered, nor does a delivery's send time
// once it is sent.
type linkCache struct {
	store TrackingStore

	mu        sync.RWMutex
	campaigns map[int64]*campaignLinks

	deliveriesMu sync.RWMutex
	deliveries   map[int64]deliverySent
}

type campaignLinks struct {
	tracking subscribers.CampaignTracking
	// location is each link's URL as the Location header's value, shared
	// by every response that redirects to it.
	location map[int][]string
	loaded   time.Time
	sent     atomic.Pointer[lastSend]
}

// lastSend is when the campaign last sent a message, and when that was
// read.
type lastSend struct{ at, read time.Time }

type deliverySent struct {
	campaign int64
	at       time.Time
}

// find returns the campaign's record and link n's Location value (nil for
// none).
func (lc *linkCache) find(ctx context.Context, now time.Time, campaign int64, n int) (*campaignLinks, []string, error) {
	lc.mu.RLock()
	cl := lc.campaigns[campaign]
	lc.mu.RUnlock()
	if cl != nil {
		if u, ok := cl.location[n]; ok {
			return cl, u, nil
		}
		if now.Sub(cl.loaded) < refreshEvery {
			return cl, nil, nil
		}
	}
	ct, err := lc.store.FindCampaignTracking(ctx, campaign)
	if err != nil {
		return nil, nil, err
	}
	links, err := lc.store.FindCampaignLinks(ctx, campaign)
	if err != nil {
		return nil, nil, err
	}
	fresh := &campaignLinks{tracking: ct, location: make(map[int][]string, len(links)), loaded: now}
	for _, l := range links {
		fresh.location[l.N] = []string{l.URL}
	}
	lc.mu.Lock()
	if len(lc.campaigns) > 10_000 {
		lc.campaigns = map[int64]*campaignLinks{} // old campaigns are rarely clicked
	}
	lc.campaigns[campaign] = fresh
	lc.mu.Unlock()
	return fresh, fresh.location[n], nil
}

// lastSent is when the campaign last sent a message, read at most once a
// refreshEvery.
func (lc *linkCache) lastSent(ctx context.Context, now time.Time, campaign int64, cl *campaignLinks) (time.Time, error) {
	if ls := cl.sent.Load(); ls != nil && now.Sub(ls.read) < refreshEvery {
		return ls.at, nil
	}
	at, err := lc.store.CampaignLastSentAt(ctx, campaign)
	if err != nil {
		return time.Time{}, err
	}
	cl.sent.Store(&lastSend{at: at, read: now})
	return at, nil
}

// deliverySent returns the campaign of a delivery and when it was sent
// (zero if not yet), from memory once the delivery is known sent.
func (lc *linkCache) deliverySent(ctx context.Context, id int64) (int64, time.Time, error) {
	lc.deliveriesMu.RLock()
	d, ok := lc.deliveries[id]
	lc.deliveriesMu.RUnlock()
	if ok {
		return d.campaign, d.at, nil
	}
	campaign, at, err := lc.store.DeliverySentAt(ctx, id)
	if err != nil || at.IsZero() {
		return campaign, at, err // not sent yet: it may be soon
	}
	lc.deliveriesMu.Lock()
	if lc.deliveries == nil || len(lc.deliveries) >= maxDeliveries {
		lc.deliveries = map[int64]deliverySent{}
	}
	lc.deliveries[id] = deliverySent{campaign, at}
	lc.deliveriesMu.Unlock()
	return campaign, at, nil
}

// tracked serves /l/ and /o/ itself, before the mux, so no path cleaning
// or redirect of the mux ever answers for a tracked link: anything but a
// link Dispatch signed and registered is a 404. Tracked requests leave no
// access log line: a line per click, with its address and time, is the
// record of readers that aggregate tracking promises not to keep (and at
// thousands of clicks a second, most of the cost).
func (s *Server) tracked(pages http.Handler) http.Handler {
	linkPrefix, openPrefix := s.prefix+"/l/", s.prefix+"/o/"
	links := s.secure(s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handleLink(w, r, r.URL.Path[len(linkPrefix):])
	})))
	opens := s.secure(s.recoverPanics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handleOpen(w, r, r.URL.Path[len(openPrefix):])
	})))
	notFound := s.accessLog(s.secure(http.HandlerFunc(s.notFound)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case strings.HasPrefix(p, linkPrefix):
			links.ServeHTTP(w, r)
		case strings.HasPrefix(p, openPrefix):
			opens.ServeHTTP(w, r)
		case strings.HasPrefix(p, "//"):
			notFound.ServeHTTP(w, r)
		default:
			pages.ServeHTTP(w, r)
		}
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.message(w, r, http.StatusNotFound, titleNotFound, textNotFound...)
}

// handleLink redirects a tracked link to the URL registered for it and
// counts the click. rest is "CAMPAIGN/N.SIG", or "CAMPAIGN/N.SIG/TOKEN" in
// individual mode. HEAD redirects too but is not counted: it is what link
// checkers and previews send.
func (s *Server) handleLink(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.message(w, r, http.StatusMethodNotAllowed, titleNotFound, textNotFound...)
		return
	}
	campaignStr, rest, ok0 := strings.Cut(rest, "/")
	link, token, _ := strings.Cut(rest, "/")
	nStr, sig, _ := strings.Cut(link, ".")
	campaign, ok1 := parseID(campaignStr)
	n, ok2 := parseID(nStr)
	if !ok0 || !ok1 || !ok2 || strings.Contains(token, "/") || !s.cfg.Tokens.VerifyLinkSig(campaign, int(n), sig) {
		s.notFound(w, r)
		return
	}
	now := s.cfg.Now()
	cl, location, err := s.links.find(r.Context(), now, campaign, int(n))
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "find tracked link", "campaign", campaign, "err", err)
		s.message(w, r, http.StatusServiceUnavailable, titleError, textError...)
		return
	}
	if location == nil {
		s.notFound(w, r)
		return
	}
	if r.Method == http.MethodGet && cl.tracking.Clicks != subscribers.TrackOff {
		s.countClick(r, now, cl, campaign, int(n), token)
	}
	w.Header()["Location"] = location // shared, never changed: net/http only reads it
	w.WriteHeader(http.StatusFound)
}

// countClick counts a click: with the delivery in individual mode (when
// the token verifies and belongs to the campaign), else anonymously.
func (s *Server) countClick(r *http.Request, now time.Time, cl *campaignLinks, campaign int64, n int, token string) {
	c := tracking.Click{CampaignID: campaign, N: n, Links: len(cl.location), IP: clientIP(r, s.proxies),
		UserAgent: r.UserAgent(), At: now}
	if cl.tracking.Clicks == subscribers.TrackIndividual && token != "" {
		if id, err := s.cfg.Tokens.ParseDelivery(token); err == nil {
			if owner, sent, err := s.links.deliverySent(r.Context(), id); err == nil && owner == campaign {
				c.DeliveryID, c.SentAt = id, sent
			}
		}
	}
	if c.DeliveryID == 0 {
		// The delivery is not known: the scanner window runs from the
		// campaign's latest send, so clicks while it sends count as
		// machines'.
		sent, err := s.links.lastSent(r.Context(), now, campaign, cl)
		if err != nil && !errors.Is(err, context.Canceled) {
			s.cfg.Logger.WarnContext(r.Context(), "read the campaign's last send", "campaign", campaign, "err", err)
		}
		c.SentAt = sent
	}
	s.counter.Click(c)
}

// pixel is a transparent 1×1 GIF.
var pixel = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

// handleOpen serves the open pixel, "CAMPAIGN.SIG.gif", and counts a GET
// for a campaign that tracks opens. It names no one.
func (s *Server) handleOpen(w http.ResponseWriter, r *http.Request, rest string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		s.notFound(w, r)
		return
	}
	name, ok := strings.CutSuffix(rest, ".gif")
	idStr, sig, _ := strings.Cut(name, ".")
	campaign, okID := parseID(idStr)
	if !ok || !okID || !s.cfg.Tokens.VerifyOpenSig(campaign, sig) {
		s.notFound(w, r)
		return
	}
	if r.Method == http.MethodGet {
		cl, _, err := s.links.find(r.Context(), s.cfg.Now(), campaign, 0)
		if err == nil && cl.tracking.Opens == subscribers.OpensAggregate {
			s.counter.Open(campaign)
		}
	}
	w.Header().Set("Content-Type", "image/gif")
	w.Header().Set("Content-Length", strconv.Itoa(len(pixel)))
	if r.Method == http.MethodGet {
		_, _ = w.Write(pixel)
	}
}

// parseID reads a positive decimal id written canonically (no sign, no
// leading zero), so each link has exactly one spelling.
func parseID(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 || strconv.FormatInt(v, 10) != s {
		return 0, false
	}
	return v, true
}

// FlushClicks writes the counted clicks and opens to the store now; Run
// and Close do it by themselves.
func (s *Server) FlushClicks(ctx context.Context) error { return s.counter.FlushAll(ctx) }

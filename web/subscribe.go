package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Wording of the subscribe pages. The page after a POST is the same
// whatever the address: new, subscribed, unconfirmed or suppressed.
const (
	titleThanks       = "Thank you"
	titleBadEmail     = "Please check the address"
	maxUserAgentBytes = 512
	// sourceEmbedded names a POST from the snippet of `dispatch lists
	// form` (the field via=embed), as opposed to the hosted page.
	sourceEmbedded = "form:embedded"
)

// formList finds the list a subscribe URL names, if it has a public form.
func (s *Server) formList(ctx context.Context, name string) (*subscribers.List, error) {
	l, err := s.cfg.Store.FindListByName(ctx, name)
	if err != nil {
		return nil, err
	}
	if l.Visibility != subscribers.Public {
		return nil, fmt.Errorf("list %q has no public form: %w", name, subscribers.ErrNotFound)
	}
	return l, nil
}

// handleSubscribeForm serves the hosted form.
func (s *Server) handleSubscribeForm(w http.ResponseWriter, r *http.Request) {
	l, err := s.formList(r.Context(), r.PathValue("list"))
	if errors.Is(err, subscribers.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderForm(w, r, http.StatusOK, l, subscribeForm{}, "")
}

func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, status int, l *subscribers.List, f subscribeForm, problem string) {
	s.render(w, r, status, pageSubscribe, pageData{
		Title:     "Subscribe to " + l.DisplayName(),
		ListName:  l.DisplayName(),
		Action:    s.prefix + "/subscribe/" + url.PathEscape(l.Name),
		Stamp:     s.cfg.Tokens.FormStamp(l.ID, s.cfg.Now()),
		Typed:     f.email,
		TypedName: f.name,
		Error:     problem,
		Consent:   s.cfg.Subscribe.Consent(l.DisplayName()),
	})
}

// subscribeForm is a subscribe POST's fields.
type subscribeForm struct {
	email, name string
	trap        string // the honeypot: people leave it empty
	stamp       string
	embedded    bool
}

func parseSubscribeForm(v url.Values) subscribeForm {
	return subscribeForm{
		email:    strings.TrimSpace(v.Get("email")),
		name:     strings.TrimSpace(v.Get("name")),
		trap:     v.Get("website"),
		stamp:    v.Get("stamp"),
		embedded: v.Get("via") == "embed",
	}
}

// automated says why a POST looks like a bot's ("" if it does not): the
// honeypot is filled in, or the form was posted too soon after it was
// served, or without a valid stamp.
func (s *Server) automated(f subscribeForm, l *subscribers.List) string {
	if f.trap != "" {
		return "honeypot filled in"
	}
	served, err := s.cfg.Tokens.ParseFormStamp(l.ID, f.stamp)
	if err != nil {
		return "no valid form stamp"
	}
	if s.cfg.Now().Sub(served) < s.cfg.Subscribe.MinFillTime {
		return "posted too soon after the form was served"
	}
	return ""
}

// handleSubscribe takes a form's POST. It answers the same page whatever
// the address, so the form tells no one who is on the list; only the mail
// differs, and the only one who sees it is the mailbox's owner. It applies
// its own rate limits: per client before anything is read, per address
// once the address is known, and two more on the confirmation mails.
func (s *Server) handleSubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.subIP) {
		return
	}
	v, err := s.readForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.formList(r.Context(), r.PathValue("list"))
	if errors.Is(err, subscribers.ErrNotFound) {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := parseSubscribeForm(v)
	if why := s.automated(f, l); why != "" {
		// Answer as if it worked: a bot learns nothing from the page.
		s.cfg.Logger.InfoContext(r.Context(), "subscribe form ignored", "list", l.ID, "why", why)
		s.subscribed(w, r, l)
		return
	}
	email := subscribers.CleanEmail(f.email)
	if err := subscribers.ValidateEmail(email); err != nil || len(email) > 254 {
		s.renderForm(w, r, http.StatusBadRequest, l, f, "That doesn’t look like an email address. Please check it and try again.")
		return
	}
	now := s.cfg.Now()
	if ok, wait := s.subAddr.allowKey(addressKey(email), now); !ok {
		s.tooMany(w, r, wait)
		return
	}
	ip := clientIP(r, s.proxies)
	source := "form:" + s.prefix + "/subscribe/" + l.Name
	if f.embedded {
		source = sourceEmbedded
	}
	res, err := s.cfg.Store.RequestSubscription(r.Context(), subscribers.FormRequest{
		Email: email, Name: f.name, ListID: l.ID, Source: source,
		ConsentText: s.cfg.Subscribe.Consent(l.DisplayName()),
		Single:      l.OptIn == subscribers.OptInSingle,
		IP:          s.cfg.Subscribe.StoreIP.keep(ip), UserAgent: userAgent(r),
	})
	if errors.Is(err, subscribers.ErrInvalid) {
		s.renderForm(w, r, http.StatusBadRequest, l, f, "That doesn’t look like an email address. Please check it and try again.")
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("subscribe form of list %d: %w", l.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "subscribe form", "list", l.ID, "subscriber", res.SubscriberID, "outcome", outcomeName(res.Outcome))
	if res.Outcome == subscribers.FormPending {
		s.mailConfirmation(r, ip, email, f.name, res.SubscriberID, l, now)
	}
	s.subscribed(w, r, l)
}

// mailConfirmation queues the confirmation mail, unless the client or the
// address has had too many lately.
func (s *Server) mailConfirmation(r *http.Request, ip netip.Addr, email, name string, subID int64, l *subscribers.List, now time.Time) {
	if ok, _ := s.mailIP.allowKey(limitKey(ip), now); !ok {
		s.cfg.Logger.InfoContext(r.Context(), "confirmation not mailed: too many from this client", "list", l.ID, "subscriber", subID)
		return
	}
	if ok, _ := s.mailAddr.allowKey(addressKey(email), now); !ok {
		s.cfg.Logger.InfoContext(r.Context(), "confirmation not mailed: too many to this address", "list", l.ID, "subscriber", subID)
		return
	}
	tok := s.cfg.Tokens.Confirm(subscribers.ConfirmRef{SubscriberID: subID, ListID: l.ID, Issued: now})
	s.cfg.Mail.Enqueue(Mail{Kind: MailConfirm, To: email, Name: name, SubscriberID: subID, ListID: l.ID,
		ListName: l.DisplayName(), URL: subscribers.ConfirmURL(s.cfg.BaseURL, tok)})
}

// subscribed is the one answer to every accepted POST.
func (s *Server) subscribed(w http.ResponseWriter, r *http.Request, l *subscribers.List) {
	days := int(s.cfg.Subscribe.ConfirmTTL.Round(24*time.Hour) / (24 * time.Hour))
	if l.OptIn == subscribers.OptInSingle {
		s.message(w, r, http.StatusOK, titleThanks,
			"Unless this address has asked us to stop or cannot receive mail, it will now receive "+l.DisplayName()+".",
			"If we need you to confirm, we’ve sent you an email with a link.")
		return
	}
	s.message(w, r, http.StatusOK, titleCheckInbox,
		"If this address can receive "+l.DisplayName()+", we’ve sent it an email with a link to confirm.",
		fmt.Sprintf("Nothing is sent to you until you confirm. The link works for %s; if no email arrives, look in your spam folder.", dayCount(days)))
}

func dayCount(n int) string {
	if n <= 1 {
		return "a day"
	}
	return fmt.Sprintf("%d days", n)
}

// tooMany answers 429 with Retry-After.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	w.Header().Set("Retry-After", fmt.Sprint(max(int(wait.Round(time.Second)/time.Second), 1)))
	s.message(w, r, http.StatusTooManyRequests, titleTooMany, textTooMany...)
}

// userAgent is the request's User-Agent, cut to a bounded size.
func userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > maxUserAgentBytes {
		ua = strings.ToValidUTF8(ua[:maxUserAgentBytes], "")
	}
	return ua
}

func outcomeName(o subscribers.FormOutcome) string {
	switch o {
	case subscribers.FormPending:
		return "pending"
	case subscribers.FormSubscribed:
		return "subscribed"
	case subscribers.FormAlready:
		return "already"
	case subscribers.FormSuppressed:
		return "suppressed"
	}
	return "unknown"
}

// allowKey is allow for a limiter that may be nil (no limit).
func (l *limiter) allowKey(key netip.Addr, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	return l.allow(key, now)
}

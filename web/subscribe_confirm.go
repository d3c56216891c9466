package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

const (
	titleConfirmInvalid = "This link doesn’t work"
	titleNothingPending = "Nothing to confirm"
	titleWelcome        = "You’re subscribed"
	titleCannotSub      = "We can’t subscribe this address"
)

var (
	textConfirmInvalid = []string{
		"This confirmation link is incomplete, has been changed, or has expired.",
		"Some email apps break long links across lines: try copying the whole link into your browser. Otherwise, subscribe again to get a fresh link.",
	}
	textNothingPending = []string{
		"There is no subscription waiting for this link: it was cancelled, or removed because it was not confirmed in time.",
		"To subscribe, fill in the form again.",
	}
	textCannotSub = []string{
		"Emails to this address were returned as undeliverable or reported as spam, or the sender has stopped mailing it, so it can’t be subscribed from this page.",
		"If you would like to receive it, please contact its sender.",
	}
)

// confirmation is what a confirmation link names, loaded for a page.
type confirmation struct {
	ref  subscribers.ConfirmRef
	sub  *subscribers.Subscriber
	list *subscribers.List
}

// loadConfirmation verifies a confirmation token, its age, and loads what
// it names. A link past its time, or issued in the future, is as invalid
// as a forged one.
func (s *Server) loadConfirmation(r *http.Request) (*confirmation, error) {
	ref, err := s.cfg.Tokens.ParseConfirm(r.PathValue("token"))
	if err != nil {
		return nil, err
	}
	age := s.cfg.Now().Sub(ref.Issued)
	if age > s.cfg.Subscribe.ConfirmTTL || age < -time.Minute {
		return nil, subscribers.ErrInvalidToken
	}
	sub, err := s.cfg.Store.FindSubscriberByID(r.Context(), ref.SubscriberID)
	if err != nil {
		return nil, err
	}
	l, err := s.cfg.Store.FindListByID(r.Context(), ref.ListID)
	if err != nil {
		return nil, err
	}
	return &confirmation{ref: ref, sub: sub, list: l}, nil
}

// confirmFail shows the page for a confirmation link's error.
func (s *Server) confirmFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, subscribers.ErrInvalidToken):
		s.message(w, r, http.StatusBadRequest, titleConfirmInvalid, textConfirmInvalid...)
	case errors.Is(err, subscribers.ErrNotFound):
		s.message(w, r, http.StatusOK, titleNothingPending, textNothingPending...)
	case errors.Is(err, subscribers.ErrSuppressed):
		s.message(w, r, http.StatusConflict, titleCannotSub, textCannotSub...)
	default:
		s.fail(w, r, err)
	}
}

// handleConfirmPage shows the Confirm button. Like every GET it changes
// nothing: mail scanners open every link in a message.
func (s *Server) handleConfirmPage(w http.ResponseWriter, r *http.Request) {
	c, err := s.loadConfirmation(r)
	if err != nil {
		s.confirmFail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, pageSubConfirm, pageData{
		Title:    "Confirm your subscription",
		Email:    maskEmail(c.sub.Email),
		ListName: c.list.DisplayName(),
		Action:   s.prefix + "/subscribe/confirm/" + url.PathEscape(r.PathValue("token")),
		Consent:  s.cfg.Subscribe.Consent(c.list.DisplayName()),
	})
}

// handleSubscribeConfirm confirms, from the page's button: the subscription becomes
// active with its consent record (the IP as web.store_ip keeps it, and
// the user agent).
func (s *Server) handleSubscribeConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.readForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	c, err := s.loadConfirmation(r)
	if err != nil {
		s.confirmFail(w, r, err)
		return
	}
	res, err := s.cfg.Store.ConfirmSubscription(r.Context(), subscribers.Confirmation{
		SubscriberID: c.sub.ID, ListID: c.list.ID,
		IP: s.cfg.Subscribe.StoreIP.keep(clientIP(r, s.proxies)), UserAgent: userAgent(r),
	})
	if err != nil {
		s.confirmFail(w, r, fmt.Errorf("confirm subscriber %d on list %d: %w", c.sub.ID, c.list.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "subscription confirmed", "subscriber", c.sub.ID, "list", c.list.ID,
		"resubscribed", res.Resubscribed, "already", res.Already)
	s.message(w, r, http.StatusOK, titleWelcome,
		maskEmail(c.sub.Email)+" is subscribed to "+c.list.DisplayName()+".",
		"Every email has a link to unsubscribe, whenever you like.")
}

package web

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Per-address limit on manage links: a person cannot be flooded with
// them by someone who types their address again and again.
const (
	manageMailsPerHour = 3
	manageMailBurst    = 3
)

// reasonPreferences attributes changes made in the preference centre.
const reasonPreferences = "preferences"

// handleManageForm asks for an address to mail a manage link to.
func (s *Server) handleManageForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, pageManageRequest, pageData{Title: "Manage your subscription",
		Action: s.prefix + "/manage"})
}

// handleManageRequest mails a fresh manage link to the address entered,
// if it belongs to someone who may receive one, through the mail queue.
// The page says the same thing whatever the address: known or not,
// suppressed, or over its limit, so the form cannot tell who is on a list.
func (s *Server) handleManageRequest(w http.ResponseWriter, r *http.Request) {
	form, err := s.readForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	email := strings.TrimSpace(form.Get("email"))
	if subscribers.ValidateEmail(email) != nil {
		s.render(w, r, http.StatusBadRequest, pageManageRequest, pageData{Title: "Manage your subscription",
			Action: s.prefix + "/manage", Error: "Please enter an email address, such as name@example.com."})
		return
	}
	if err := s.mailManageLink(r, email); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, pageMessage, pageData{Title: titleCheckInbox, Lines: textCheckInbox})
}

// mailManageLink queues the message, when there is one to send.
func (s *Server) mailManageLink(r *http.Request, email string) error {
	sub, err := s.cfg.Store.FindSubscriberByEmail(r.Context(), email)
	if errors.Is(err, subscribers.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Bounced, complained and blocklisted addresses get no mail at all.
	if sub.Status != subscribers.StatusActive && sub.Status != subscribers.StatusUnsubscribed {
		return nil
	}
	if ok, _ := s.manageMails.allow(addressKey(sub.Email), s.cfg.Now()); !ok {
		s.cfg.Logger.InfoContext(r.Context(), "manage link not sent: address over its limit", "subscriber", sub.ID)
		return nil
	}
	if s.cfg.Mail == nil {
		s.cfg.Logger.WarnContext(r.Context(), "manage link not sent: no mail queue (configure smtp)", "subscriber", sub.ID)
		return nil
	}
	link := s.manageLink(sub.ID, subscribers.RequestedManageLinkTTL)
	s.cfg.Mail.Enqueue(Mail{To: sub.Email, Subject: "Manage your subscription to " + s.cfg.SiteName,
		Text: "Hello,\n\nSomeone, hopefully you, asked for a link to manage the emails you receive from " +
			s.cfg.SiteName + ". This link works for 24 hours:\n\n" + link + "\n\n" +
			"There you can choose your newsletters, change your name, download your data or delete it.\n\n" +
			"If you did not ask for this, ignore this email: nothing changes.\n"})
	s.cfg.Logger.InfoContext(r.Context(), "manage link queued", "subscriber", sub.ID)
	return nil
}

// manageLink is a fresh, absolute manage link valid for ttl.
func (s *Server) manageLink(subscriberID int64, ttl time.Duration) string {
	tok := s.cfg.Tokens.Manage(subscriberID, s.cfg.Now().Add(ttl))
	base := s.cfg.BaseURL
	if base == "" {
		base = s.prefix
	}
	return subscribers.ManageURL(base, tok)
}

// addressKey turns an address into a limiter key: a digest of its
// normalised form, shaped as an IPv6 address so the per-client limiter can
// count it. The address itself is never kept.
func addressKey(email string) netip.Addr {
	sum := sha256.Sum256([]byte(subscribers.NormalizeEmail(email)))
	return netip.AddrFrom16([16]byte(sum[:16]))
}

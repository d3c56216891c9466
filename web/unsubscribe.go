package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Event attribution of changes made from the pages.
const (
	actorSubscriber = "subscriber"
	reasonOneClick  = "one-click"
	reasonLink      = "link"
)

// Form values of the scope field: the token's list, or every list.
const (
	scopeList = "list"
	scopeAll  = "all"
)

// subject is what an unsubscribe link names, loaded for a page.
type subject struct {
	token    string
	ref      subscribers.UnsubscribeRef
	sub      *subscribers.Subscriber
	listName string // as recipients know it: the title, else the name
}

// load verifies tok and loads its subscriber and list. It returns
// ErrInvalidToken for a bad token and ErrNotFound for a removed subscriber.
func (s *Server) load(ctx context.Context, tok string) (*subject, error) {
	ref, err := s.cfg.Tokens.ParseUnsubscribe(tok)
	if err != nil {
		return nil, err
	}
	return s.loadRef(ctx, tok, ref)
}

// loadRef loads what an already verified token names.
func (s *Server) loadRef(ctx context.Context, tok string, ref subscribers.UnsubscribeRef) (*subject, error) {
	sub, err := s.cfg.Store.FindSubscriberByID(ctx, ref.SubscriberID)
	if err != nil {
		return nil, err
	}
	j := &subject{token: tok, ref: ref, sub: sub, listName: s.cfg.SiteName}
	if ref.ListID == 0 {
		return j, nil
	}
	for _, l := range sub.Lists {
		if l.ListID == ref.ListID {
			j.listName = l.DisplayName()
			return j, nil
		}
	}
	// Not a member (any more): name the list if it still exists.
	l, err := s.cfg.Store.FindListByID(ctx, ref.ListID)
	switch {
	case err == nil:
		j.listName = l.DisplayName()
	case !errors.Is(err, subscribers.ErrNotFound):
		return nil, err
	}
	return j, nil
}

// subscribed reports whether there is anything for the link to unsubscribe.
func (j *subject) subscribed() bool {
	if j.sub.Status == subscribers.StatusUnsubscribed {
		return false
	}
	if j.ref.ListID == 0 {
		return true
	}
	for _, l := range j.sub.Lists {
		if l.ListID == j.ref.ListID {
			return l.Status == subscribers.Subscribed
		}
	}
	return false
}

// data fills the fields every unsubscribe page shares.
func (s *Server) data(j *subject, title string, all bool) pageData {
	scope := scopeList
	if all {
		scope = scopeAll
	}
	base := s.prefix + "/u/" + url.PathEscape(j.token)
	return pageData{
		Title:             title,
		Email:             maskEmail(j.sub.Email),
		ListName:          j.listName,
		AllLists:          all,
		Action:            base,
		ResubscribeAction: base + "/resubscribe",
		Scope:             scope,
		ManageURL:         s.manageLink(j.sub.ID, subscribers.RequestedManageLinkTTL),
	}
}

// handleConfirm shows what the link would do. It must not change anything:
// mail scanners and link previews fetch every URL in a message.
func (s *Server) handleConfirm(w http.ResponseWriter, r *http.Request) {
	j, err := s.load(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !j.subscribed() {
		d := s.data(j, "You’re not subscribed", j.ref.ListID == 0 || j.sub.Status == subscribers.StatusUnsubscribed)
		d.Already = true
		s.render(w, r, http.StatusOK, pageUnsubscribed, d)
		return
	}
	s.render(w, r, http.StatusOK, pageConfirm, s.data(j, "Unsubscribe", j.ref.ListID == 0))
}

// handleUnsubscribe unsubscribes, from the confirm page's form or from a
// mail client's RFC 8058 one-click POST. Both answer 200 with no redirect
// and no cookie, and a repeat is a 200 too (Store.Unsubscribe is
// idempotent).
//
// It applies its own rate limit: an invalid link is charged to the page
// bucket before anything else is read; a valid one-click POST to the
// client's far larger one-click bucket.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	ref, err := s.cfg.Tokens.ParseUnsubscribe(tok)
	if err != nil {
		if s.allow(w, r, s.pageLimit) {
			s.fail(w, r, err)
		}
		return
	}
	form, err := s.readForm(r)
	// RFC 8058 §3.1: the body carries List-Unsubscribe=One-Click.
	oneClick := err == nil && subscribers.EqualFoldASCII(strings.TrimSpace(form.Get("List-Unsubscribe")), "One-Click")
	lim := s.pageLimit
	if oneClick {
		lim = s.oneClick
	}
	if !s.allow(w, r, lim) {
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if oneClick {
		s.oneClickUnsubscribe(w, r, ref)
		return
	}
	j, err := s.loadRef(r.Context(), tok, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	listID := j.ref.ListID
	if form.Get("scope") == scopeAll {
		listID = 0
	}
	if err := s.cfg.Store.Unsubscribe(r.Context(), j.sub.ID, listID, j.ref.CampaignID, actorSubscriber, reasonLink); err != nil {
		s.fail(w, r, fmt.Errorf("unsubscribe subscriber %d: %w", j.sub.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "unsubscribed",
		"subscriber", j.sub.ID, "list", listID, "campaign", j.ref.CampaignID, "reason", reasonLink)
	s.render(w, r, http.StatusOK, pageUnsubscribed, s.data(j, "You’re unsubscribed", listID == 0))
}

// oneClickUnsubscribe applies an RFC 8058 one-click POST. It unsubscribes
// from the list the link names, as the message's List-Unsubscribe header
// promised. Nobody reads the answer (the mail provider sends the POST and
// shows its own confirmation), so nothing is loaded for a page: the one
// database round trip is the group-committed change itself, and the answer
// is a fixed page that names no one. A removed subscriber still gets 200.
func (s *Server) oneClickUnsubscribe(w http.ResponseWriter, r *http.Request, ref subscribers.UnsubscribeRef) {
	err := s.cfg.Store.Unsubscribe(r.Context(), ref.SubscriberID, ref.ListID, ref.CampaignID, actorSubscriber, reasonOneClick)
	if err != nil {
		s.fail(w, r, fmt.Errorf("unsubscribe subscriber %d: %w", ref.SubscriberID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "unsubscribed",
		"subscriber", ref.SubscriberID, "list", ref.ListID, "campaign", ref.CampaignID, "reason", reasonOneClick)
	s.writePage(w, r, http.StatusOK, s.oneClickPage)
}

// handleResubscribe is the person's way back after leaving. Bounced,
// complained and blocklisted addresses stay suppressed (Store.Resubscribe
// refuses them), and the page says so without saying which.
func (s *Server) handleResubscribe(w http.ResponseWriter, r *http.Request) {
	form, err := s.readForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	j, err := s.load(r.Context(), r.PathValue("token"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	listID := j.ref.ListID
	if form.Get("scope") == scopeAll {
		listID = 0
	}
	err = s.cfg.Store.Resubscribe(r.Context(), j.sub.ID, listID, actorSubscriber)
	if errors.Is(err, subscribers.ErrSuppressed) {
		s.message(w, r, http.StatusConflict, titleSuppressed,
			fmt.Sprintf("Emails to %s were returned as undeliverable or reported as spam, or the sender has stopped mailing this address, so it can’t be resubscribed from this page.", maskEmail(j.sub.Email)),
			"If you would like to receive "+j.listName+" again, please contact its sender.")
		return
	}
	if err != nil {
		s.fail(w, r, fmt.Errorf("resubscribe subscriber %d: %w", j.sub.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "resubscribed", "subscriber", j.sub.ID, "list", listID)
	s.render(w, r, http.StatusOK, pageResubscribed, s.data(j, "Welcome back", listID == 0))
}

// readForm parses a urlencoded or multipart body (RFC 8058 allows either)
// within the body limit, and returns the body's fields only, never the
// query string's.
func (s *Server) readForm(r *http.Request) (url.Values, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		// All parts stay in memory: the body limit is far below what
		// would make the parser spill files to disk.
		err = r.ParseMultipartForm(s.cfg.MaxBodyBytes + 1)
		if r.MultipartForm != nil {
			defer r.MultipartForm.RemoveAll()
		}
	} else {
		err = r.ParseForm()
	}
	if bodyTooLarge(r) {
		return nil, errBodyTooLarge
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errBadForm, err)
	}
	return r.PostForm, nil
}

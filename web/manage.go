package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
)

// manageSubject is the person a manage link names, with the lists the
// preference centre offers.
type manageSubject struct {
	token  string
	sub    *subscribers.Subscriber
	public []subscribers.List // every public list, by name
	names  map[int64]string   // every list's display name, by id
}

// loadManage verifies a manage token and loads its person. Errors:
// ErrInvalidToken, ErrLinkExpired, ErrNotFound (erased since).
func (s *Server) loadManage(ctx context.Context, tok string) (*manageSubject, error) {
	id, err := s.cfg.Tokens.ParseManage(tok, s.cfg.Now())
	if err != nil {
		return nil, err
	}
	sub, err := s.cfg.Store.FindSubscriberByID(ctx, id)
	if err != nil {
		return nil, err
	}
	lists, err := s.cfg.Store.FindLists(ctx)
	if err != nil {
		return nil, err
	}
	m := &manageSubject{token: tok, sub: sub, names: map[int64]string{}}
	for _, l := range lists {
		m.names[l.ID] = l.DisplayName()
		if l.IsPublic() {
			m.public = append(m.public, l)
		}
	}
	return m, nil
}

// subscribed reports whether the person is on list id.
func (m *manageSubject) subscribed(id int64) bool {
	for _, l := range m.sub.Lists {
		if l.ListID == id {
			return l.Status == subscribers.Subscribed && m.sub.Status == subscribers.StatusActive
		}
	}
	return false
}

// manageList is one public list on the preference page.
type manageList struct {
	ID         int64
	Name       string
	Subscribed bool
}

// base is the path of the person's preference centre.
func (s *Server) manageBase(m *manageSubject) string {
	return s.prefix + "/manage/" + url.PathEscape(m.token)
}

// managePage fills the preference page.
func (s *Server) managePage(m *manageSubject) pageData {
	d := pageData{Title: "Your subscription", Email: maskEmail(m.sub.Email), Name: m.sub.Name,
		Action: s.manageBase(m), Suppressed: m.sub.Status.Suppressed() && m.sub.Status != subscribers.StatusUnsubscribed}
	for _, l := range m.public {
		d.Lists = append(d.Lists, manageList{ID: l.ID, Name: l.DisplayName(), Subscribed: m.subscribed(l.ID)})
	}
	for _, l := range m.sub.Lists {
		if l.Status == subscribers.Subscribed && !slices.ContainsFunc(m.public, func(p subscribers.List) bool { return p.ID == l.ListID }) {
			d.Others++
		}
	}
	return d
}

// handleManage shows the preference centre. Like every GET, it changes
// nothing.
func (s *Server) handleManage(w http.ResponseWriter, r *http.Request) {
	m, err := s.loadManage(r.Context(), r.PathValue("token"))
	if err != nil {
		s.manageFail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, pageManage, s.managePage(m))
}

// manageFail answers a manage link that does not work: expired or broken
// links lead to the form that mails a fresh one.
func (s *Server) manageFail(w http.ResponseWriter, r *http.Request, err error) {
	d := pageData{Action: s.prefix + "/manage"}
	switch {
	case errors.Is(err, subscribers.ErrLinkExpired):
		d.Title, d.Lines = "This link has expired", []string{"For your security, links to manage your subscription work for a limited time.",
			"Enter your address and we’ll send you a fresh one."}
		s.render(w, r, http.StatusGone, pageManageRequest, d)
	case errors.Is(err, subscribers.ErrInvalidToken):
		d.Title, d.Lines = "This link doesn’t work", []string{"The link is incomplete or has been changed. Some email apps break long links across lines.",
			"Enter your address and we’ll send you a fresh one."}
		s.render(w, r, http.StatusBadRequest, pageManageRequest, d)
	case errors.Is(err, subscribers.ErrNotFound):
		s.message(w, r, http.StatusOK, "Nothing to manage", "There is no subscription behind this link any more.",
			"We hold no data about it, and you will not receive emails through it.")
	default:
		s.fail(w, r, err)
	}
}

// listIDs reads the checked lists of the lists form, keeping public ones.
func (m *manageSubject) listIDs(values []string) []int64 {
	var ids []int64
	for _, v := range values {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		if slices.ContainsFunc(m.public, func(l subscribers.List) bool { return l.ID == id }) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

package console

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// addForm is the "add a subscriber" form.
type addForm struct {
	Email string
	Name  string
	List  string
}

// handleSubscriberAdd adds a subscriber (or adds an existing one to a
// list) exactly as `dispatch subscribers add` does: a suppressed address
// is refused, never re-activated.
func (s *Server) handleSubscriberAdd(w http.ResponseWriter, r *http.Request) {
	f := addForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		List: strings.TrimSpace(r.PostFormValue("list"))}
	in := subscribers.AddInput{Email: f.Email, Name: f.Name, Source: actor(r), Actor: actor(r)}
	if f.List != "" {
		in.Lists = []string{f.List}
	}
	res, err := s.cfg.Store.AddSubscriber(r.Context(), in)
	switch {
	case errors.Is(err, subscribers.ErrSuppressed):
		s.renderSubscribers(w, r, http.StatusUnprocessableEntity,
			"That address is suppressed (unsubscribed, bounced, complained, blocklisted or removed): only the person can subscribe again.", f)
		return
	case errors.Is(err, subscribers.ErrInvalid):
		s.renderSubscribers(w, r, http.StatusUnprocessableEntity, formError(err), f)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	notice := "Added " + res.Subscriber.Email + "."
	if !res.Created {
		notice = res.Subscriber.Email + " was already a subscriber."
	}
	if len(res.Skipped) > 0 {
		notice += " Not put back on " + strings.Join(res.Skipped, ", ") + ": they unsubscribed from it."
	}
	s.redirect(w, r, "/subscribers/"+strconv.FormatInt(res.Subscriber.ID, 10), notice)
}

// readAttributes parses "key = value" lines.
func readAttributes(text string) (map[string]any, error) {
	out := map[string]any{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, noticef("Attributes, line %d: write key = value.", i+1)
		}
		out[k] = strings.TrimSpace(v)
	}
	return out, nil
}

func (s *Server) handleSubscriberEdit(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	attrs, err := readAttributes(r.PostFormValue("attributes"))
	if err != nil {
		d.AttrText = r.PostFormValue("attributes")
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, err.Error(), d)
		return
	}
	_, err = s.cfg.Store.UpdateSubscriber(r.Context(), d.Sub.ID, subscribers.SubscriberUpdate{Name: &name, Attributes: attrs}, actor(r))
	if errors.Is(err, subscribers.ErrInvalid) {
		d.AttrText = r.PostFormValue("attributes")
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, formError(err), d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/subscribers/"+strconv.FormatInt(d.Sub.ID, 10), "Saved.")
}

// handleSubscriberJoin adds the subscriber to a list, by the CLI's rules:
// refused for a suppressed address, and a list they left stays left.
func (s *Server) handleSubscriberJoin(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	listID, _ := strconv.ParseInt(r.PostFormValue("list"), 10, 64)
	var name string
	for _, l := range d.Lists {
		if l.ID == listID {
			name = l.Name
		}
	}
	if name == "" {
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, "Choose a list.", d)
		return
	}
	res, err := s.cfg.Store.AddSubscriber(r.Context(), subscribers.AddInput{Email: d.Sub.Email, Lists: []string{name},
		Source: actor(r), Actor: actor(r)})
	if errors.Is(err, subscribers.ErrSuppressed) {
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity,
			"This address is "+string(d.Sub.Status)+": it cannot be added to lists. Only the person can subscribe again.", d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	notice := "Added to " + name + "."
	switch {
	case len(res.Skipped) > 0:
		notice = "Not put back on " + name + ": they unsubscribed from it, and only they can subscribe again."
	case len(res.Subscribed) == 0:
		notice = "Already on " + name + "."
	}
	s.redirect(w, r, "/subscribers/"+strconv.FormatInt(d.Sub.ID, 10), notice)
}

// handleSubscriberLeave takes the subscriber off a list: the subscription
// is ended as an unsubscribe, so no import puts them back on it.
func (s *Server) handleSubscriberLeave(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	listID, err := strconv.ParseInt(r.PathValue("list"), 10, 64)
	if err != nil {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such list.")
		return
	}
	if err := s.cfg.Store.Unsubscribe(r.Context(), d.Sub.ID, listID, 0, actor(r), "removed from the list in the console"); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/subscribers/"+strconv.FormatInt(d.Sub.ID, 10), "Removed from the list.")
}

func (s *Server) handleSubscriberBlocklist(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > 500 {
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, "The reason is too long (500 characters at most).", d)
		return
	}
	if _, err := s.cfg.Store.Blocklist(r.Context(), d.Sub.Email, actor(r), reason); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/subscribers/"+strconv.FormatInt(d.Sub.ID, 10), "Blocklisted "+d.Sub.Email+": it will never be mailed again.")
}

// handleSubscriberRemove erases the person's data behind a typed
// confirmation, keeping the address suppressed (as `subscribers remove`).
func (s *Server) handleSubscriberRemove(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	d.Confirm = strings.TrimSpace(r.PostFormValue("confirm"))
	if !strings.EqualFold(d.Confirm, d.Sub.Email) {
		s.renderSubscriber(w, r, http.StatusUnprocessableEntity, "Type the address exactly to confirm the removal. Nothing was removed.", d)
		return
	}
	if err := s.cfg.Store.RemoveSubscriber(r.Context(), d.Sub.Email, actor(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/subscribers", "Removed "+d.Sub.Email+": their data is erased and the address stays suppressed.")
}

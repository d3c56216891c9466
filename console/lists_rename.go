package console

import (
	"errors"
	"net/http"

	"github.com/dispatchhq/dispatch/subscribers"
)

// handleListRename changes a list's name and title, with the same store
// methods as `dispatch lists rename` and `dispatch lists set`.
func (s *Server) handleListRename(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findList(w, r)
	if !ok {
		return
	}
	f := readListForm(r)
	again := func(msg string) {
		d.Rename = f
		s.render(w, r, page{Status: http.StatusUnprocessableEntity, Name: "list.html", Title: "List " + d.List.Name,
			Nav: "lists", Error: msg, Data: d})
	}
	if err := f.validate(); err != nil {
		again(formError(err))
		return
	}
	ctx, old := r.Context(), d.List
	if f.Name != old.Name {
		_, err := s.cfg.Store.RenameList(ctx, old.Name, f.Name)
		switch {
		case errors.Is(err, subscribers.ErrExists):
			again("Another list is already called \"" + f.Name + "\" (names ignore case).")
			return
		case err != nil:
			s.fail(w, r, err)
			return
		}
		if err := s.cfg.Store.RecordEvent(ctx, subscribers.Event{ListID: old.ID, Type: subscribers.EventListRenamed,
			Actor: actor(r), Reason: old.Name + " → " + f.Name}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if f.Title != old.Title {
		if _, err := s.cfg.Store.UpdateList(ctx, f.Name, subscribers.ListUpdate{Title: &f.Title}); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := s.cfg.Store.RecordEvent(ctx, subscribers.Event{ListID: old.ID, Type: subscribers.EventListUpdated,
			Actor: actor(r), Reason: "title: " + f.Title}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.redirect(w, r, "/lists/"+r.PathValue("id"), "List saved.")
}

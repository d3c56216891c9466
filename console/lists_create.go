package console

import (
	"errors"
	"net/http"

	"github.com/dispatchhq/dispatch/subscribers"
)

func (s *Server) handleListCreate(w http.ResponseWriter, r *http.Request) {
	f := readListForm(r)
	if err := f.validate(); err != nil {
		s.renderLists(w, r, http.StatusUnprocessableEntity, formError(err), f)
		return
	}
	l, err := s.cfg.Store.CreateList(r.Context(), subscribers.NewList{Name: f.Name, Title: f.Title})
	switch {
	case errors.Is(err, subscribers.ErrExists):
		s.renderLists(w, r, http.StatusUnprocessableEntity, "A list called \""+f.Name+"\" already exists (names ignore case).", f)
		return
	case errors.Is(err, subscribers.ErrInvalid):
		s.renderLists(w, r, http.StatusUnprocessableEntity, formError(err), f)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.RecordEvent(r.Context(), subscribers.Event{ListID: l.ID, Type: subscribers.EventListCreated,
		Actor: actor(r), Reason: l.Name}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/lists", "List \""+l.Name+"\" created.")
}

package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// handleListDelete deletes a list once its name is typed in full. The
// store refuses while a campaign to it is active.
func (s *Server) handleListDelete(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findList(w, r)
	if !ok {
		return
	}
	d.Confirm = strings.TrimSpace(r.PostFormValue("confirm"))
	again := func(msg string) {
		d.DeleteError = msg
		s.render(w, r, page{Status: http.StatusUnprocessableEntity, Name: "list.html", Title: "List " + d.List.Name,
			Nav: "lists", Error: msg, Data: d})
	}
	if d.Confirm != d.List.Name {
		again("To delete this list, type its name, " + d.List.Name + ", exactly. Nothing was deleted.")
		return
	}
	err := s.cfg.Store.DeleteList(r.Context(), d.List.Name, actor(r))
	switch {
	case errors.Is(err, subscribers.ErrActiveSend):
		again("This list cannot be deleted while a campaign to it is sending or paused. Nothing was deleted.")
		return
	case errors.Is(err, subscribers.ErrHasCampaigns):
		again("Campaigns were sent to this list, and their reports need it, so it cannot be deleted. Nothing was deleted.")
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/lists", "List \""+d.List.Name+"\" deleted. Its subscribers keep their other lists.")
}

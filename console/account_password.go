package console

import (
	"errors"
	"net/http"

	"github.com/dispatchhq/dispatch/accounts"
)

// handlePasswordChange changes the user's own password. Every session of
// the user ends (accounts.Service.ChangePassword); this browser gets a new
// one so the admin stays logged in here.
func (s *Server) handlePasswordChange(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	current, next, again := r.PostFormValue("current"), r.PostFormValue("new"), r.PostFormValue("confirm")
	if next != again {
		s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{PasswordError: "The new password and its confirmation differ. Nothing was changed."})
		return
	}
	err := s.accounts.ChangePassword(r.Context(), u, current, next, actor(r))
	switch {
	case errors.Is(err, accounts.ErrBadCredentials):
		s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{PasswordError: "The current password is wrong. Nothing was changed."})
		return
	case errors.Is(err, accounts.ErrInvalid):
		s.renderAccount(w, r, http.StatusUnprocessableEntity, accountData{PasswordError: formError(err) + " Nothing was changed."})
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	id, _, err := s.accounts.StartSession(r.Context(), u, accounts.StageFull)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSession(w, id)
	s.redirect(w, r, "/account", "Password changed. You were logged out everywhere else.")
}

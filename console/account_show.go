package console

import (
	"net/http"
)

type accountData struct {
	TwoFactorError string
	PasswordError  string
}

func (s *Server) handleAccountShow(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, page{Name: "account.html", Title: "Your account", Nav: "account", Data: accountData{}})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, d accountData) {
	msg := d.PasswordError + d.TwoFactorError
	s.render(w, r, page{Status: status, Name: "account.html", Title: "Your account", Nav: "account", Error: msg, Data: d})
}

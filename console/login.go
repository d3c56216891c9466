package console

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/accounts"
)

// loginData is what the login pages show.
type loginData struct {
	Email     string
	Next      string
	Token     string // the form's CSRF token
	NoUsers   bool   // no account exists yet: show how to create one
	HowTo     string
	LoggedOut bool
}

// safeNext keeps a post-login redirect on the console: a path under the
// prefix, never another host ("//evil", "/\evil").
func (s *Server) safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, s.prefix+"/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, s.prefix+"/login") {
		return s.path("/")
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return s.path("/")
	}
	return next
}

// noUsers reports whether no account exists, so the login page explains
// how to create one.
func (s *Server) noUsers(r *http.Request) (bool, error) {
	n, err := s.cfg.Store.CountUsers(r.Context())
	return n == 0, err
}

func (s *Server) handleLoginShow(w http.ResponseWriter, r *http.Request) {
	if sess, _, err := s.accounts.Session(r.Context(), s.sessionID(r)); err == nil && sess.Stage == accounts.StageFull {
		http.Redirect(w, r, s.safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", loginData{Next: r.URL.Query().Get("next"), LoggedOut: r.URL.Query().Has("bye")})
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string, d loginData) {
	none, err := s.noUsers(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.NoUsers, d.HowTo = none, s.cfg.HowToAddUser
	d.Token = s.loginToken(w, r)
	d.Next = s.safeNext(d.Next)
	s.render(w, r, page{Status: status, Name: "login.html", Title: "Log in", Error: msg, Data: d})
}

func (s *Server) handleLoginCheck(w http.ResponseWriter, r *http.Request) {
	email, password := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	d := loginData{Email: email, Next: r.PostFormValue("next")}
	if !checkLoginToken(r) {
		s.renderLogin(w, r, http.StatusForbidden, "The login form had expired. Please try again.", d)
		return
	}
	ip := clientIP(r)
	if wait := s.throttle.wait(email, ip); wait > 0 {
		s.tooMany(w, r, wait, d)
		return
	}
	u, err := s.accounts.Authenticate(r.Context(), email, password)
	if errors.Is(err, accounts.ErrBadCredentials) {
		s.throttle.failed(email, ip)
		s.cfg.Logger.InfoContext(r.Context(), "console login failed", "ip", ip)
		s.renderLogin(w, r, http.StatusUnauthorized, "Wrong email address or password.", d)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.throttle.succeeded(email)
	s.startSession(w, r, u, d.Next)
}

// startSession replaces whatever session the browser had with a new one
// (a new id at every login, so a planted id is never promoted), then goes
// on to the code step or the page asked for.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *accounts.User, next string) {
	if old := s.sessionID(r); old != "" {
		if err := s.accounts.EndSession(r.Context(), old); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	stage := accounts.StageFull
	if u.TwoFactor() {
		stage = accounts.StageTwoFactor
	}
	id, _, err := s.accounts.StartSession(r.Context(), u, stage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setSession(w, id)
	if stage == accounts.StageTwoFactor {
		http.Redirect(w, r, s.path("/login/code")+"?next="+url.QueryEscape(s.safeNext(next)), http.StatusSeeOther)
		return
	}
	s.loggedIn(w, r, u, next)
}

func (s *Server) loggedIn(w http.ResponseWriter, r *http.Request, u *accounts.User, next string) {
	if err := s.cfg.Store.RecordLogin(r.Context(), u.ID, s.cfg.Now().UTC(), "console:"+u.Email); err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "console login", "user", u.Email, "ip", clientIP(r))
	http.Redirect(w, r, s.safeNext(next), http.StatusSeeOther)
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration, d loginData) {
	mins := int(math.Ceil(wait.Minutes()))
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	s.cfg.Logger.WarnContext(r.Context(), "console login throttled", "ip", clientIP(r))
	s.renderLogin(w, r, http.StatusTooManyRequests,
		fmt.Sprintf("Too many failed attempts. Wait %d %s, then try again.", mins, unit), d)
}

// pendingCode finds the browser's session waiting for its TOTP code.
func (s *Server) pendingCode(r *http.Request) (*accounts.Session, *accounts.User, bool) {
	sess, u, err := s.accounts.Session(r.Context(), s.sessionID(r))
	if err != nil || sess.Stage != accounts.StageTwoFactor {
		return nil, nil, false
	}
	return sess, u, true
}

func (s *Server) handleCodeShow(w http.ResponseWriter, r *http.Request) {
	sess, _, ok := s.pendingCode(r)
	if !ok {
		http.Redirect(w, r, s.path("/login"), http.StatusSeeOther)
		return
	}
	s.render(w, r, page{Name: "login_code.html", Title: "Enter your code",
		Data: loginData{Token: sess.CSRFToken, Next: s.safeNext(r.URL.Query().Get("next"))}})
}

func (s *Server) handleCodeCheck(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := s.pendingCode(r)
	if !ok {
		s.message(w, r, http.StatusUnauthorized, "Your login has expired", "Log in again with your password.")
		return
	}
	d := loginData{Token: sess.CSRFToken, Next: s.safeNext(r.PostFormValue("next"))}
	if !sameToken(r.PostFormValue(csrfField), sess.CSRFToken) {
		s.render(w, r, page{Status: http.StatusForbidden, Name: "login_code.html", Title: "Enter your code",
			Error: "The form had expired. Please try again.", Data: d})
		return
	}
	ip := clientIP(r)
	if wait := s.throttle.wait(u.Email, ip); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.render(w, r, page{Status: http.StatusTooManyRequests, Name: "login_code.html", Title: "Enter your code",
			Error: fmt.Sprintf("Too many failed attempts. Wait %d minutes, then try again.", int(math.Ceil(wait.Minutes()))), Data: d})
		return
	}
	id, _, err := s.accounts.CompleteTwoFactor(r.Context(), s.sessionID(r), r.PostFormValue("code"), u)
	if errors.Is(err, accounts.ErrBadCredentials) {
		s.throttle.failed(u.Email, ip)
		s.render(w, r, page{Status: http.StatusUnauthorized, Name: "login_code.html", Title: "Enter your code",
			Error: "That code is not right. Use the current code from your app, or a recovery code.", Data: d})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.throttle.succeeded(u.Email)
	s.setSession(w, id)
	s.loggedIn(w, r, u, d.Next)
}

// handleLogout ends the session: its row is deleted, so the id is
// worthless even to someone who copied it.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	if err := s.accounts.EndSession(r.Context(), s.sessionID(r)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.cfg.Store.RecordAccountEvent(r.Context(), accounts.EventLogout, actor(r), u.Email); err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "record logout", "err", err)
	}
	s.clearSession(w)
	http.Redirect(w, r, s.path("/login")+"?bye", http.StatusSeeOther)
}

package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/dispatchhq/dispatch/accounts"
)

// cookieName is the session cookie. Over https it carries the __Host-
// prefix, which browsers accept only with Secure, Path=/ and no Domain, so
// no other host (or plain-http page) can plant or read it.
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-dispatch_session"
	}
	return "dispatch_session"
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// setSession gives the browser a session id. The cookie has no Max-Age:
// it ends with the browser, and the server ends it sooner.
func (s *Server) setSession(w http.ResponseWriter, id string) {
	s.setCookie(w, s.cookieName(), id, 0)
}

func (s *Server) clearSession(w http.ResponseWriter) {
	s.setCookie(w, s.cookieName(), "", -1)
}

func (s *Server) sessionID(r *http.Request) string {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// authed is the logged-in user of a request.
type authed struct {
	user *accounts.User
	sess *accounts.Session
}

type authKey struct{}

func withAuth(ctx context.Context, a *authed) context.Context {
	return context.WithValue(ctx, authKey{}, a)
}

func authOf(r *http.Request) *authed {
	a, _ := r.Context().Value(authKey{}).(*authed)
	return a
}

// userOf is the logged-in user, or nil on a public route.
func userOf(r *http.Request) *accounts.User {
	if a := authOf(r); a != nil {
		return a.user
	}
	return nil
}

// actor names who made a change, for the events history.
func actor(r *http.Request) string {
	if u := userOf(r); u != nil {
		return "console:" + u.Email
	}
	return "console"
}

// requireUser lets a request with a full, live session through, with its
// user in the context. Without one, a GET is sent to the login page (and
// back here afterwards); anything else is refused with a page that says
// nothing was changed.
func (s *Server) requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, u, err := s.accounts.Session(r.Context(), s.sessionID(r))
		switch {
		case errors.Is(err, accounts.ErrSessionExpired):
			if s.sessionID(r) != "" {
				s.clearSession(w)
			}
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, s.path("/login")+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.message(w, r, http.StatusUnauthorized, "Your session has ended",
				"You were logged out (after a while without activity, or from elsewhere), so nothing was changed. Log in and try again.")
			return
		case err != nil:
			s.fail(w, r, err)
			return
		case sess.Stage != accounts.StageFull:
			http.Redirect(w, r, s.path("/login/code"), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(withAuth(r.Context(), &authed{user: u, sess: sess})))
	})
}

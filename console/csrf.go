package console

import (
	"crypto/subtle"
	"net/http"

	"github.com/dispatchhq/dispatch/accounts"
)

// csrfField is the form field (and X-CSRF-Token the header) that carries
// the token.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// loginCookie carries the double-submit token of the login form,
	// which has no session yet.
	loginCookie = "dispatch_login"
)

// checkCSRF refuses a change that does not carry the session's token.
// Cross-origin requests were already refused by http.CrossOriginProtection;
// the token also stops same-site attacks and old browsers.
func (s *Server) checkCSRF(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		a := authOf(r)
		got := r.Header.Get(csrfHeader)
		if got == "" {
			got = r.PostFormValue(csrfField)
		}
		if a == nil || !sameToken(got, a.sess.CSRFToken) {
			s.message(w, r, http.StatusForbidden, "Request refused",
				"This form was missing its security token or was opened before you logged in again, so nothing was changed. Go back, reload the page and try again.")
			return
		}
		next(w, r)
	}
}

func sameToken(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// loginToken returns the login form's token, setting its cookie when the
// browser has none.
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	tok := accounts.NewToken()
	s.setCookie(w, loginCookie, tok, 3600)
	return tok
}

// checkLoginToken compares the login form's token with its cookie.
func checkLoginToken(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	return err == nil && sameToken(r.PostFormValue(csrfField), c.Value)
}

package web

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/dispatchhq/dispatch/internal/httpserve"
)

// secure sets the headers every response carries. The pages load nothing:
// no scripts, images or fonts, and only the one inline stylesheet, allowed
// by its hash. Forms post to this origin only. Nothing is cached, because a
// page shows (masked) personal data.
func (s *Server) secure(next http.Handler) http.Handler {
	csp := "default-src 'none'; style-src " + s.pages.cssHash +
		"; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	// The values are shared by every response, so setting them allocates
	// nothing: a header's slice is replaced by Set and appended to only
	// past its capacity, never written in place.
	cspValue := []string{csp}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = cspValue
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = deny
		h["Referrer-Policy"] = noReferrer
		h["Cross-Origin-Opener-Policy"] = sameOrigin
		h["Cache-Control"] = noStore
		next.ServeHTTP(w, r)
	})
}

// Header values every response carries, each of capacity one.
var (
	nosniff    = []string{"nosniff"}
	deny       = []string{"DENY"}
	noReferrer = []string{"no-referrer"}
	sameOrigin = []string{"same-origin"}
	noStore    = []string{"no-store"}
)

// recoverPanics turns a handler panic into a 500 page and one log line,
// instead of a dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return httpserve.Recover(s.cfg.Logger, "panic in handler", func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusInternalServerError, titleError, textError...)
	}, next)
}

// accessLog writes one structured line per request. It logs the route
// pattern, never the path: the path of an unsubscribe link is a credential.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return httpserve.AccessLog{
		Logger:  s.cfg.Logger,
		Message: "http request",
		Now:     s.cfg.Now,
		ClientIP: func(r *http.Request) string {
			return clientIP(r, s.proxies).String()
		},
	}.Handler(next)
}

// guard applies a route's rate limit and body limit before h.
func (s *Server) guard(lim *limiter, maxBody int64, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.allow(w, r, lim) {
			return
		}
		s.limitBody(maxBody, h).ServeHTTP(w, r)
	})
}

// allow takes a token from the client's bucket in lim (nil: no limit). If
// none is left it answers 429 with Retry-After and returns false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, lim *limiter) bool {
	if lim == nil {
		return true
	}
	ok, wait := lim.allow(limitKey(clientIP(r, s.proxies)), s.cfg.Now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.message(w, r, http.StatusTooManyRequests, titleTooMany, textTooMany...)
	}
	return ok
}

// limitBody refuses bodies over maxBody before h, and makes reading past
// it fail, for bodies of unannounced length.
func (s *Server) limitBody(maxBody int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			s.message(w, r, http.StatusRequestEntityTooLarge, titleTooLarge, textTooLarge...)
			return
		}
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, maxBody)}
		h(w, r)
	}
}

// limitedBody notes whether a read ran into the body limit, because the
// error itself may be reworded by whoever reads it (form and webhook
// parsers).
type limitedBody struct {
	io.ReadCloser
	exceeded bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		b.exceeded = true
	}
	return n, err
}

// bodyTooLarge reports whether reading r's body hit the limit.
func bodyTooLarge(r *http.Request) bool {
	b, ok := r.Body.(*limitedBody)
	return ok && b.exceeded
}

// sameOrigin refuses a browser's cross-site POST (Sec-Fetch-Site, or else
// Origin against Host and BaseURL) before h: a page elsewhere must not be
// able to submit the form for someone. Requests from non-browsers carry
// neither header and pass; they are not driven by a visitor's browser.
func (s *Server) sameOrigin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.xorigin.Check(r); err != nil {
			s.cfg.Logger.InfoContext(r.Context(), "cross-site request refused", "route", httpserve.Route(r),
				"sec_fetch_site", r.Header.Get("Sec-Fetch-Site"), "origin", r.Header.Get("Origin"))
			s.message(w, r, http.StatusForbidden, titleCrossSite, textCrossSite...)
			return
		}
		h(w, r)
	}
}

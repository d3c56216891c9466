package console

import (
	"net"
	"net/http"

	"github.com/dispatchhq/dispatch/internal/httpserve"
)

// csp allows scripts, styles and images from the console itself only (and
// the QR code of a TOTP set-up, a data: image); no inline script, no
// framing of the console, forms post to this origin only. The issue
// editor frames its own previews (frame-src), which are sandboxed and
// carry a CSP of their own (previewCSP).
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets what every response carries. Nothing is cached: pages show
// personal data.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a 500 page and one log line.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return httpserve.Recover(s.cfg.Logger, "panic in console handler", func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusInternalServerError, "Something went wrong",
			"The console hit an error. Nothing was changed by this request unless the page said so. Try again.")
	}, next)
}

// accessLog writes one line per request: the route pattern, never the
// path or query, and never a header or form value (cookies and passwords
// stay out of logs).
func (s *Server) accessLog(next http.Handler) http.Handler {
	return httpserve.AccessLog{
		Logger:   s.cfg.Logger,
		Message:  "console request",
		Now:      s.cfg.Now,
		ClientIP: clientIP,
	}.Handler(next)
}

// clientIP is the peer address. The console is meant for loopback or a
// private network; behind a reverse proxy every client shares the proxy's
// address, which makes the per-IP login limit stricter, not weaker.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitBody caps a request body at MaxBodyBytes.
func (s *Server) limitBody(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		h(w, r)
	})
}

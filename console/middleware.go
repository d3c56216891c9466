package console

import (
	"net"
	"net/http"
	"strings"
	"time"
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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.Logger.ErrorContext(r.Context(), "panic in console handler", "route", route(r), "panic", v)
			if rec, ok := w.(*recorder); !ok || rec.status == 0 {
				s.message(w, r, http.StatusInternalServerError, "Something went wrong",
					"The console hit an error. Nothing was changed by this request unless the page said so. Try again.")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// recorder remembers the status and size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// accessLog writes one line per request: the route pattern, never the
// path or query, and never a header or form value (cookies and passwords
// stay out of logs).
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.cfg.Logger.InfoContext(r.Context(), "console request",
			"method", r.Method,
			"route", route(r),
			"status", rec.status,
			"bytes", rec.bytes,
			"duration", s.cfg.Now().Sub(start).Round(time.Microsecond),
			"ip", clientIP(r),
		)
	})
}

// route names the request for logs: the matched pattern without its
// method, or "unmatched".
func route(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	if p == "" || p == "/" {
		return "unmatched"
	}
	return p
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

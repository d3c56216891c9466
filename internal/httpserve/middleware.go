package httpserve

import (
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Recorder remembers the status and size of a response for the access log.
type Recorder struct {
	http.ResponseWriter
	Status int // 0 until the handler writes a header or a body
	Bytes  int64
}

func (rec *Recorder) WriteHeader(code int) {
	if rec.Status == 0 {
		rec.Status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *Recorder) Write(p []byte) (int, error) {
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.Bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *Recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Written reports whether a response has begun on w. Only a Recorder can
// tell; for any other writer it says no.
func Written(w http.ResponseWriter) bool {
	rec, ok := w.(*Recorder)
	return ok && rec.Status != 0
}

// AccessLog writes one structured line per request. It logs the route
// pattern, never the path or query (the path of an unsubscribe link is a
// credential), and no header or form value (cookies and passwords stay out
// of logs).
type AccessLog struct {
	Logger  *slog.Logger
	Message string // the line's message, such as "http request"
	Now     func() time.Time
	// ClientIP names the client for the line.
	ClientIP func(*http.Request) string
}

// Handler logs each request next serves.
func (l AccessLog) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := l.Now()
		rec := &Recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.Status == 0 {
			rec.Status = http.StatusOK
		}
		l.Logger.InfoContext(r.Context(), l.Message,
			"method", r.Method,
			"route", Route(r),
			"status", rec.Status,
			"bytes", rec.Bytes,
			"duration", l.Now().Sub(start).Round(time.Microsecond),
			"ip", l.ClientIP(r),
		)
	})
}

// Recover turns a handler panic into one log line (message msg) and, when
// no response has begun, fail's answer, instead of a dropped connection.
// http.ErrAbortHandler, the way to drop a connection on purpose, goes on.
func Recover(log *slog.Logger, msg string, fail http.HandlerFunc, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.ErrorContext(r.Context(), msg, "route", Route(r), "panic", v)
			if !Written(w) {
				fail(w, r)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Route names the request for logs: the matched pattern without its
// method, or "unmatched".
func Route(r *http.Request) string {
	p := r.Pattern
	if i := strings.IndexByte(p, ' '); i >= 0 {
		p = p[i+1:]
	}
	if p == "" || p == "/" {
		return "unmatched"
	}
	return p
}

package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/web"
)

// BenchmarkConfirmPage measures GET /u/{token}: verify, two reads, render.
func BenchmarkConfirmPage(b *testing.B) {
	e := newBenchEnv(b)
	sub := e.addSubscriber("alice@example.com", "Weekly Digest")
	u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 1)
	path := u[len(e.ts.URL):]
	h := e.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkOneClickRepeat measures a repeated RFC 8058 POST: verify, read,
// one write transaction that changes nothing, render.
func BenchmarkOneClickRepeat(b *testing.B) {
	e := newBenchEnv(b)
	sub := e.addSubscriber("alice@example.com", "Weekly Digest")
	u := e.unsubscribeURL(sub.ID, e.listID("Weekly Digest"), 1)
	path := u[len(e.ts.URL):]
	h := e.srv.Handler()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader("List-Unsubscribe=One-Click"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// newBenchEnv is a test server without rate limits.
func newBenchEnv(b *testing.B) *env {
	b.Helper()
	return newEnv(b, func(c *web.Config) { c.RatePerSecond = -1 })
}

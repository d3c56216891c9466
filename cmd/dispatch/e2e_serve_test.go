package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

const serveSecret = "e2e-serve-secret-0123456789abcdef"

// serveEnv is a directory with a configuration (web section from web) and
// a database holding n subscribers of the list "news".
type serveEnv struct {
	dir, addr string
	links     []string // one-click link of each subscriber, in order
}

func newServeEnv(t *testing.T, n int, web string) *serveEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("web:\n  base_url: http://%s\n  listen: %s\n  secret: %s\n%s", addr, addr, serveSecret, web)
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &serveEnv{dir: dir, addr: addr}
	for i := range n {
		if r := dispatch(t, dir, "subscribers", "add", fmt.Sprintf("reader%d@example.com", i), "--list", "news"); r.code != 0 {
			t.Fatalf("subscribers add: exit %d %s", r.code, r.stderr)
		}
	}
	if n == 0 {
		return e
	}
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tokens, _ := subscribers.NewTokens(serveSecret)
	l, err := s.FindListByName(context.Background(), "news")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		sub, err := s.FindSubscriberByEmail(context.Background(), fmt.Sprintf("reader%d@example.com", i))
		if err != nil {
			t.Fatal(err)
		}
		tok := tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: sub.ID, ListID: l.ID})
		e.links = append(e.links, subscribers.UnsubscribeURL("http://"+addr, tok))
	}
	return e
}

// start runs `dispatch serve` until the test ends.
func (e *serveEnv) start(t *testing.T) {
	t.Helper()
	startServe(t, e.dir, e.addr)
}

// post sends a form from the client xff (through the trusted proxy that
// the test client is) and returns the status.
func post(t *testing.T, u, xff, form string, header ...string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestEndToEndServeRateLimits: the web.* limits and the trusted proxy list
// reach `dispatch serve`. Valid one-click POSTs have their own allowance,
// and clients behind the proxy are told apart by X-Forwarded-For.
func TestEndToEndServeRateLimits(t *testing.T) {
	// 0.001/s: nothing refills during the test.
	e := newServeEnv(t, 6, `  trust_proxy: [127.0.0.1, "::1"]
  rate_limit: 0.001
  rate_burst: 2
  one_click_rate_limit: 0.001
  one_click_rate_burst: 4
`)
	e.start(t)
	bad := "http://" + e.addr + "/u/0000000000000000000000"
	a, b := "203.0.113.1", "203.0.113.2"
	for i := range 2 {
		if code := post(t, bad, a, "List-Unsubscribe=One-Click"); code != http.StatusBadRequest {
			t.Fatalf("invalid link %d from %s: %d; want 400", i+1, a, code)
		}
	}
	if code := post(t, bad, a, "List-Unsubscribe=One-Click"); code != http.StatusTooManyRequests {
		t.Errorf("third invalid link from %s: %d; want 429", a, code)
	}
	if code := post(t, bad, b, "List-Unsubscribe=One-Click"); code != http.StatusBadRequest {
		t.Errorf("invalid link from %s: %d; want 400 (a client of its own)", b, code)
	}
	for i := range 4 {
		if code := post(t, e.links[i], a, "List-Unsubscribe=One-Click"); code != http.StatusOK {
			t.Errorf("one-click %d from %s: %d; want 200", i+1, a, code)
		}
	}
	if code := post(t, e.links[4], a, "List-Unsubscribe=One-Click"); code != http.StatusTooManyRequests {
		t.Errorf("one-click 5 from %s: %d; want 429", a, code)
	}
	if code := post(t, e.links[5], b, "List-Unsubscribe=One-Click"); code != http.StatusOK {
		t.Errorf("one-click from %s: %d; want 200", b, code)
	}
	for i, want := range []string{"unsubscribed", "unsubscribed", "unsubscribed", "unsubscribed", "subscribed", "unsubscribed"} {
		r := dispatch(t, e.dir, "subscribers", "show", fmt.Sprintf("reader%d@example.com", i), "--json")
		if got := strings.Contains(r.stdout, `"unsubscribed"`); got != (want == "unsubscribed") {
			t.Errorf("reader%d: want %s\n%s", i, want, r.stdout)
		}
	}
}

// TestEndToEndServeTrustProxyTrue: the old boolean form is refused with
// the new one, before anything listens.
func TestEndToEndServeTrustProxyTrue(t *testing.T) {
	e := newServeEnv(t, 0, "  trust_proxy: true\n")
	r := dispatch(t, e.dir, "serve")
	if r.code == 0 || !strings.Contains(r.stderr, "web.trust_proxy") || !strings.Contains(r.stderr, "[127.0.0.1]") {
		t.Errorf("serve with trust_proxy: true: exit %d\n%s; want an error naming web.trust_proxy and the list form", r.code, r.stderr)
	}
}

// TestEndToEndServeResubscribeCrossSite: `dispatch serve` takes a
// cross-site one-click unsubscribe (RFC 8058) but refuses a cross-site
// resubscribe.
func TestEndToEndServeResubscribeCrossSite(t *testing.T) {
	e := newServeEnv(t, 1, "")
	e.start(t)
	crossSite := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://mail.example.net"}
	if code := post(t, e.links[0], "", "List-Unsubscribe=One-Click", crossSite...); code != http.StatusOK {
		t.Fatalf("cross-site one-click: %d; want 200", code)
	}
	if code := post(t, e.links[0]+"/resubscribe", "", "scope=list", crossSite...); code != http.StatusForbidden {
		t.Errorf("cross-site resubscribe: %d; want 403", code)
	}
	r := dispatch(t, e.dir, "subscribers", "show", "reader0@example.com", "--json")
	if !strings.Contains(r.stdout, `"unsubscribed"`) {
		t.Errorf("after a refused resubscribe, want still unsubscribed:\n%s", r.stdout)
	}
	if code := post(t, e.links[0]+"/resubscribe", "", "scope=list", "Sec-Fetch-Site", "same-origin"); code != http.StatusOK {
		t.Errorf("same-origin resubscribe: %d; want 200", code)
	}
}

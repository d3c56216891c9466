package web_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// frozen is a clock that does not move, so buckets never refill.
func frozen() time.Time { return time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) }

// loopbackProxy trusts the test client (127.0.0.1) as a reverse proxy, so
// X-Forwarded-For names the client.
func loopbackProxy(c *web.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// send makes a request with an optional X-Forwarded-For header and returns
// its status and Retry-After.
func (e *env) send(method, url, xff, form string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(form))
	if err != nil {
		e.t.Fatal(err)
	}
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, _ := e.do(req)
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestRateLimit: each client gets RateBurst requests, then 429 with
// Retry-After. X-Forwarded-For counts only from a trusted proxy, and then
// its right-most entry that is not a trusted proxy.
func TestRateLimit(t *testing.T) {
	limited := func(c *web.Config) { c.RatePerSecond, c.RateBurst, c.Now = 1, 3, frozen }

	t.Run("direct", func(t *testing.T) {
		e := newEnv(t, limited)
		for i := range 3 {
			if code, _ := e.send("GET", e.ts.URL+"/healthz", "", ""); code != http.StatusOK {
				t.Fatalf("request %d: status %d; want 200", i+1, code)
			}
		}
		code, retry := e.send("GET", e.ts.URL+"/healthz", "198.51.100.9", "") // not trusted: same client
		if code != http.StatusTooManyRequests {
			t.Fatalf("request 4: status %d; want 429", code)
		}
		if ra, err := strconv.Atoi(retry); err != nil || ra < 1 {
			t.Errorf("Retry-After = %q; want a positive number of seconds", retry)
		}
	})
	t.Run("trusted proxy", func(t *testing.T) {
		e := newEnv(t, func(c *web.Config) { limited(c); loopbackProxy(c) })
		get := func(xff string) int {
			code, _ := e.send("GET", e.ts.URL+"/healthz", xff, "")
			return code
		}
		for range 3 {
			get("203.0.113.7")
		}
		if code := get("203.0.113.7"); code != http.StatusTooManyRequests {
			t.Errorf("4th request from 203.0.113.7: status %d; want 429", code)
		}
		// A client cannot escape by prepending addresses of its own...
		if code := get("192.0.2.1, 203.0.113.7"); code != http.StatusTooManyRequests {
			t.Errorf("spoofed prefix: status %d; want 429", code)
		}
		// ...and a second trusted proxy in the chain is skipped.
		if code := get("192.0.2.1, 203.0.113.7, 127.0.0.9"); code != http.StatusTooManyRequests {
			t.Errorf("through two proxies: status %d; want 429", code)
		}
		if code := get("203.0.113.8"); code != http.StatusOK {
			t.Errorf("another client: status %d; want 200", code)
		}
	})
}

// TestRateLimitOneClick: one-click POSTs with a valid link draw on their
// own, larger bucket. Anything else, including a POST with an invalid
// link, draws on the page bucket.
func TestRateLimitOneClick(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.RatePerSecond, c.RateBurst = 1, 2
		c.OneClickRatePerSecond, c.OneClickRateBurst = 1, 5
		c.Now = frozen
	})
	var subs []*subscribers.Subscriber
	for i := range 7 {
		subs = append(subs, e.addSubscriber(fmt.Sprintf("reader%d@example.com", i), "Weekly Digest"))
	}
	list := e.listID("Weekly Digest")
	link := func(i int) string { return e.unsubscribeURL(subs[i].ID, list, 0) }
	bad := web.UnsubscribeURL(e.ts.URL, "0000000000000000000000")

	// Invalid links use up the page bucket (2)...
	for i := range 2 {
		if code, _ := e.send("POST", bad, "", "List-Unsubscribe=One-Click"); code != http.StatusBadRequest {
			t.Fatalf("invalid link %d: status %d; want 400", i+1, code)
		}
	}
	if code, _ := e.send("POST", bad, "", "List-Unsubscribe=One-Click"); code != http.StatusTooManyRequests {
		t.Fatalf("third invalid link: status %d; want 429", code)
	}
	// ...which leaves valid one-click POSTs their own 5.
	for i := range 5 {
		if code, _ := e.send("POST", link(i), "", "List-Unsubscribe=One-Click"); code != http.StatusOK {
			t.Fatalf("one-click %d: status %d; want 200", i+1, code)
		}
	}
	code, retry := e.send("POST", link(5), "", "List-Unsubscribe=One-Click")
	if code != http.StatusTooManyRequests || retry == "" {
		t.Errorf("one-click 6: status %d, Retry-After %q; want 429 with Retry-After", code, retry)
	}
	// The confirm page's own form is not one-click: page bucket, empty.
	if code, _ := e.send("POST", link(6), "", "scope=all"); code != http.StatusTooManyRequests {
		t.Errorf("form POST with a valid link: status %d; want 429 (page bucket)", code)
	}
	for i, sub := range subs {
		want := subscribers.Unsubscribed
		if i >= 5 {
			want = subscribers.Subscribed // refused with 429: nothing changed
		}
		if got := e.subscription(sub.ID, list); got != want {
			t.Errorf("reader%d: subscription %q; want %q", i, got, want)
		}
	}
}

// TestRateLimitManyClients: with more clients than the limiter remembers,
// the least recently seen are forgotten, and every new client still gets a
// bucket of its own rather than one shared by all newcomers.
func TestRateLimitManyClients(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.RatePerSecond, c.RateBurst, c.MaxClients, c.Now = 1, 1, 4, frozen
		loopbackProxy(c)
	})
	busy := "198.51.100.77"
	if code, _ := e.send("GET", e.ts.URL+"/healthz", busy, ""); code != http.StatusOK {
		t.Fatalf("first request: status %d", code)
	}
	for i := range 50 {
		ip := fmt.Sprintf("203.0.113.%d", i+1)
		if code, _ := e.send("GET", e.ts.URL+"/healthz", ip, ""); code != http.StatusOK {
			t.Fatalf("new client %s (after %d others): status %d; want 200 from its own bucket", ip, i, code)
		}
		if code, _ := e.send("GET", e.ts.URL+"/healthz", ip, ""); code != http.StatusTooManyRequests {
			t.Fatalf("client %s, second request: status %d; want 429", ip, code)
		}
		// A client seen all along stays remembered, and limited.
		if code, _ := e.send("GET", e.ts.URL+"/healthz", busy, ""); code != http.StatusTooManyRequests {
			t.Fatalf("busy client after %d newcomers: status %d; want 429", i+1, code)
		}
	}
}

// TestRateLimitIPv6Prefix: IPv6 clients are limited per /64.
func TestRateLimitIPv6Prefix(t *testing.T) {
	e := newEnv(t, func(c *web.Config) {
		c.RatePerSecond, c.RateBurst, c.Now = 1, 2, frozen
		loopbackProxy(c)
	})
	tests := []struct {
		xff  string
		want int
	}{
		{"2001:db8:1:2::1", http.StatusOK},
		{"[2001:db8:1:2:ffff:ffff:ffff:ffff]:443", http.StatusOK}, // same /64
		{"2001:db8:1:2:abcd::9", http.StatusTooManyRequests},      // same /64, bucket empty
		{"2001:db8:1:3::1", http.StatusOK},                        // next /64
		{"fe80::1%eth0", http.StatusOK},
		{"fe80::2", http.StatusOK}, // same /64 as fe80::1, zone ignored
		{"fe80::3", http.StatusTooManyRequests},
	}
	for _, tc := range tests {
		if code, _ := e.send("GET", e.ts.URL+"/healthz", tc.xff, ""); code != tc.want {
			t.Errorf("X-Forwarded-For %s: status %d; want %d", tc.xff, code, tc.want)
		}
	}
}

func TestParseTrustedProxies(t *testing.T) {
	tests := []struct {
		in      []string
		want    string // prefixes joined by spaces
		wantErr string
	}{
		{in: nil, want: ""},
		{in: []string{"", "  "}, want: ""},
		{in: []string{"127.0.0.1"}, want: "127.0.0.1/32"},
		{in: []string{"127.0.0.1:8080"}, want: "127.0.0.1/32"},
		{in: []string{"::1"}, want: "::1/128"},
		{in: []string{"[::1]:443"}, want: "::1/128"},
		{in: []string{"[::1]"}, want: "::1/128"},
		{in: []string{"fe80::1%eth0"}, want: "fe80::1/128"},
		{in: []string{"[fe80::1%eth0]:80"}, want: "fe80::1/128"},
		{in: []string{"::ffff:192.0.2.1"}, want: "192.0.2.1/32"},
		{in: []string{"10.0.0.0/8", " 192.168.1.7/24 "}, want: "10.0.0.0/8 192.168.1.0/24"},
		{in: []string{"fd00::/8"}, want: "fd00::/8"},
		{in: []string{"::ffff:10.0.0.0/104"}, want: "10.0.0.0/8"},
		{in: []string{"true"}, wantErr: `entry 1 ("true") is not an IP address`},
		{in: []string{"127.0.0.1", "localhost"}, wantErr: `entry 2 ("localhost")`},
		{in: []string{"10.0.0.0/33"}, wantErr: `entry 1 ("10.0.0.0/33") is not a CIDR prefix`},
		{in: []string{"300.1.1.1"}, wantErr: "is not an IP address"},
		{in: []string{"10.0.0.1:http"}, wantErr: "is not an IP address"},
	}
	for _, tc := range tests {
		got, err := web.ParseTrustedProxies(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseTrustedProxies(%q) error = %v; want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if err != nil || strings.Join(s, " ") != tc.want {
			t.Errorf("ParseTrustedProxies(%q) = %q, %v; want %q", tc.in, s, err, tc.want)
		}
	}
}

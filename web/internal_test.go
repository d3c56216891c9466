package web

import (
	"net/http"
	"testing"
	"time"
)

func TestMaskEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@example.com", "al•••@example.com"},
		{"bob@example.com", "b•••@example.com"},
		{"a@example.com", "a•••@example.com"},
		{"anne@example.com", "a•••@example.com"},
		{"Émilie.Dupont@exemple.fr", "Ém•••@exemple.fr"},
		{"first.last+tag@sub.example.org", "fi•••@sub.example.org"},
		{`"odd@local"@example.com`, `"o•••@example.com`},
		{"no-at-sign", "no•••"},
		{"", "•••"},
	}
	for _, tc := range tests {
		if got := maskEmail(tc.in); got != tc.want {
			t.Errorf("maskEmail(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestClientIP(t *testing.T) {
	tests := []struct {
		name      string
		remote    string
		xff       []string
		trust     bool
		want, key string
	}{
		{name: "direct", remote: "192.0.2.10:5000", want: "192.0.2.10", key: "192.0.2.10"},
		{name: "untrusted header ignored", remote: "192.0.2.10:5000", xff: []string{"203.0.113.1"}, want: "192.0.2.10", key: "192.0.2.10"},
		{name: "trusted last entry", remote: "10.0.0.1:80", xff: []string{"198.51.100.1, 203.0.113.1"}, trust: true, want: "203.0.113.1", key: "203.0.113.1"},
		{name: "trusted last header", remote: "10.0.0.1:80", xff: []string{"198.51.100.1", "203.0.113.2"}, trust: true, want: "203.0.113.2", key: "203.0.113.2"},
		{name: "trusted junk falls back", remote: "10.0.0.1:80", xff: []string{"unknown"}, trust: true, want: "10.0.0.1", key: "10.0.0.1"},
		{name: "ipv6 grouped by /64", remote: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2:3:4:5:6", key: "2001:db8:1:2::/64"},
		{name: "mapped ipv4", remote: "[::ffff:192.0.2.7]:1", want: "192.0.2.7", key: "192.0.2.7"},
	}
	for _, tc := range tests {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		ip := clientIP(r, tc.trust)
		if ip.String() != tc.want || limitKey(ip) != tc.key {
			t.Errorf("%s: clientIP = %s, key %s; want %s, %s", tc.name, ip, limitKey(ip), tc.want, tc.key)
		}
	}
}

// TestLimiterEvictsIdle: entries unused for longer than a full refill are
// dropped, and a client that returns starts with a full bucket, exactly as
// if it had been remembered.
func TestLimiterEvictsIdle(t *testing.T) {
	l := newLimiter(1, 2, 1000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range []string{"a", "b", "c"} {
		l.allow(k, now)
	}
	if ok, _ := l.allow("a", now); !ok {
		t.Fatal("second request within the burst refused")
	}
	if ok, wait := l.allow("a", now); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third request = %v, wait %v; want refused with a wait of at most 1s", ok, wait)
	}
	if got := l.size(); got != 3 {
		t.Fatalf("size = %d; want 3", got)
	}
	later := now.Add(l.idle + time.Second)
	l.allow("d", later) // triggers a sweep
	if got := l.size(); got != 1 {
		t.Errorf("size after idle period = %d; want 1 (only d)", got)
	}
	if ok, _ := l.allow("a", later); !ok {
		t.Error("returning client refused; want a full bucket")
	}
}

// TestLimiterFull: once MaxClients are remembered, new clients share one
// bucket instead of growing the map.
func TestLimiterFull(t *testing.T) {
	l := newLimiter(1, 1, 2)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.allow("a", now)
	l.allow("b", now)
	if ok, _ := l.allow("c", now); !ok {
		t.Error("first overflow client refused; want the shared bucket's token")
	}
	if ok, _ := l.allow("d", now); ok {
		t.Error("second overflow client allowed; want the shared bucket empty")
	}
	if got := l.size(); got != 2 {
		t.Errorf("size = %d; want 2", got)
	}
}

func TestNegativeRateDisablesLimit(t *testing.T) {
	if l := newLimiter(-1, 5, 10); l != nil {
		t.Errorf("newLimiter(-1) = %v; want nil", l)
	}
}

package web

import (
	"net/http"
	"net/netip"
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
	trust, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::1", "fe80::1%eth0"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		remote    string
		xff       []string
		trusted   proxies
		want, key string
	}{
		{name: "direct", remote: "192.0.2.10:5000", want: "192.0.2.10", key: "192.0.2.10"},
		{name: "no proxies: header ignored", remote: "10.0.0.1:5000", xff: []string{"203.0.113.1"}, want: "10.0.0.1", key: "10.0.0.1"},
		{name: "untrusted peer: header ignored", remote: "192.0.2.10:5000", xff: []string{"203.0.113.1"}, trusted: trust, want: "192.0.2.10", key: "192.0.2.10"},
		{name: "one proxy", remote: "10.0.0.1:80", xff: []string{"198.51.100.1, 203.0.113.1"}, trusted: trust, want: "203.0.113.1", key: "203.0.113.1"},
		{name: "last header", remote: "10.0.0.1:80", xff: []string{"198.51.100.1", "203.0.113.2"}, trusted: trust, want: "203.0.113.2", key: "203.0.113.2"},
		{name: "chain of trusted proxies", remote: "10.0.0.1:80", xff: []string{"198.51.100.1, 203.0.113.3, 10.2.3.4", "10.9.9.9"}, trusted: trust, want: "203.0.113.3", key: "203.0.113.3"},
		{name: "all hops trusted", remote: "10.0.0.1:80", xff: []string{"10.1.1.1, 10.2.2.2"}, trusted: trust, want: "10.1.1.1", key: "10.1.1.1"},
		{name: "junk hop: the proxy that wrote it", remote: "10.0.0.1:80", xff: []string{"198.51.100.1, unknown, 10.7.7.7"}, trusted: trust, want: "10.7.7.7", key: "10.7.7.7"},
		{name: "junk only", remote: "10.0.0.1:80", xff: []string{"unknown"}, trusted: trust, want: "10.0.0.1", key: "10.0.0.1"},
		{name: "empty header", remote: "10.0.0.1:80", xff: []string{""}, trusted: trust, want: "10.0.0.1", key: "10.0.0.1"},
		{name: "hop with port", remote: "10.0.0.1:80", xff: []string{"203.0.113.9:51234"}, trusted: trust, want: "203.0.113.9", key: "203.0.113.9"},
		{name: "ipv6 hop with port", remote: "10.0.0.1:80", xff: []string{"[2001:db8:5:6::7]:443"}, trusted: trust, want: "2001:db8:5:6::7", key: "2001:db8:5:6::"},
		{name: "quoted ipv6 hop", remote: "10.0.0.1:80", xff: []string{`"[2001:db8:5:6::8]"`}, trusted: trust, want: "2001:db8:5:6::8", key: "2001:db8:5:6::"},
		{name: "zoned hop", remote: "10.0.0.1:80", xff: []string{"fe80::99%eth1"}, trusted: trust, want: "fe80::99", key: "fe80::"},
		{name: "ipv6 proxy", remote: "[2001:db8:ffff::1]:8443", xff: []string{"192.0.2.44"}, trusted: trust, want: "192.0.2.44", key: "192.0.2.44"},
		{name: "zoned proxy", remote: "[fe80::1%eth0]:8443", xff: []string{"192.0.2.45"}, trusted: trust, want: "192.0.2.45", key: "192.0.2.45"},
		{name: "mapped proxy", remote: "[::ffff:10.0.0.1]:80", xff: []string{"192.0.2.46"}, trusted: trust, want: "192.0.2.46", key: "192.0.2.46"},
		{name: "ipv6 grouped by /64", remote: "[2001:db8:1:2:3:4:5:6]:443", want: "2001:db8:1:2:3:4:5:6", key: "2001:db8:1:2::"},
		{name: "mapped ipv4", remote: "[::ffff:192.0.2.7]:1", want: "192.0.2.7", key: "192.0.2.7"},
		{name: "unusable remote", remote: "@", want: "invalid IP", key: "invalid IP"},
	}
	for _, tc := range tests {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		ip := clientIP(r, tc.trusted)
		if ip.String() != tc.want || limitKey(ip).String() != tc.key {
			t.Errorf("%s: clientIP = %s, key %s; want %s, %s", tc.name, ip, limitKey(ip), tc.want, tc.key)
		}
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

// TestLimiterEvictsIdle: entries unused for longer than a full refill are
// dropped, and a client that returns starts with a full bucket, exactly as
// if it had been remembered.
func TestLimiterEvictsIdle(t *testing.T) {
	l := newLimiter(1, 2, 1000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b, c, d := addr("192.0.2.1"), addr("192.0.2.2"), addr("192.0.2.3"), addr("192.0.2.4")
	for _, k := range []netip.Addr{a, b, c} {
		l.allow(k, now)
	}
	if ok, _ := l.allow(a, now); !ok {
		t.Fatal("second request within the burst refused")
	}
	if ok, wait := l.allow(a, now); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third request = %v, wait %v; want refused with a wait of at most 1s", ok, wait)
	}
	if got := l.size(); got != 3 {
		t.Fatalf("size = %d; want 3", got)
	}
	later := now.Add(l.idle + time.Second)
	l.allow(d, later) // a new client drops the idle ones
	if got := l.size(); got != 1 {
		t.Errorf("size after idle period = %d; want 1 (only d)", got)
	}
	if ok, _ := l.allow(a, later); !ok {
		t.Error("returning client refused; want a full bucket")
	}
}

// TestLimiterLRU: a full table forgets its least recently seen client to
// make room. Every new client gets a bucket of its own; none shares
// another's, however many arrive.
func TestLimiterLRU(t *testing.T) {
	l := newLimiter(1, 1, 3)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	busy := addr("198.51.100.1")
	l.allow(busy, now)
	for i := range 1000 {
		k := netip.AddrFrom4([4]byte{203, 0, byte(i >> 8), byte(i)})
		if ok, _ := l.allow(k, now); !ok {
			t.Fatalf("new client %s refused; want its own full bucket", k)
		}
		if ok, _ := l.allow(k, now); ok {
			t.Fatalf("client %s allowed twice with a burst of 1", k)
		}
		if i%2 == 0 {
			// busy keeps being seen, so it stays remembered and limited.
			if ok, _ := l.allow(busy, now); ok {
				t.Fatalf("after %d new clients, the busy client was allowed again; want it remembered", i+1)
			}
		}
	}
	if got := l.size(); got != 3 {
		t.Errorf("size = %d; want 3", got)
	}
}

func TestNegativeRateDisablesLimit(t *testing.T) {
	if l := newLimiter(-1, 5, 10); l != nil {
		t.Errorf("newLimiter(-1) = %v; want nil", l)
	}
}

// TestFlightKeysAreDistinct: two requests share a read only for the same
// key: spaces in a path's list and slug cannot make two keys look alike.
func TestFlightKeysAreDistinct(t *testing.T) {
	keys := map[string]issueRef{}
	for _, ref := range []issueRef{
		{list: "a b", slug: "c"},
		{list: "a", slug: "b c"},
		{list: "a", slug: "b c", keyed: 1},
		{list: `a", slug: "b`, slug: "c"},
		{list: "a", slug: `b", slug: "c`},
	} {
		k := flightKey(7, ref)
		if other, ok := keys[k]; ok {
			t.Errorf("%+v and %+v share the flight %s", ref, other, k)
		}
		keys[k] = ref
	}
	if flightKey(7, issueRef{list: "a"}) == flightKey(8, issueRef{list: "a"}) {
		t.Error("two data versions share a flight")
	}
}

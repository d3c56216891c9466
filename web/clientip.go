package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads the addresses of the reverse proxies whose
// X-Forwarded-For entries are believed (web.trust_proxy). Each entry is an
// address (203.0.113.5, 2001:db8::1, fe80::1%eth0), an address with a port
// (203.0.113.5:8080, [2001:db8::1]:443) or a CIDR prefix (10.0.0.0/8,
// fd00::/8). Ports and zones are ignored: requests are matched by address.
// Empty entries are skipped.
func ParseTrustedProxies(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("entry %d (%q) is not a CIDR prefix like 10.0.0.0/8: %w", i+1, e, err)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			out = append(out, p.Masked())
			continue
		}
		ip, ok := parseHost(e)
		if !ok {
			return nil, fmt.Errorf("entry %d (%q) is not an IP address, address:port or CIDR prefix (host names are not resolved)", i+1, e)
		}
		out = append(out, netip.PrefixFrom(ip, ip.BitLen()))
	}
	return out, nil
}

// proxies is a parsed web.trust_proxy.
type proxies []netip.Prefix

func (ps proxies) trusts(ip netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// clientIP is the address requests are limited and logged by. A request
// from a trusted proxy is attributed to the right-most X-Forwarded-For hop
// that is not itself a trusted proxy: entries to its right were appended
// by proxies we trust, entries to its left come from the client and can
// say anything. If that hop is not an address (some proxies write
// "unknown"), the request is attributed to the proxy that wrote it.
func clientIP(r *http.Request, trusted proxies) netip.Addr {
	remote, _ := parseHost(r.RemoteAddr)
	if len(trusted) == 0 || !trusted.trusts(remote) {
		return remote
	}
	hop := remote
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		rest := xff[i]
		for rest != "" {
			var part string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				part, rest = rest[j+1:], rest[:j]
			} else {
				part, rest = rest, ""
			}
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			ip, ok := parseHost(part)
			if !ok {
				return hop
			}
			if !trusted.trusts(ip) {
				return ip
			}
			hop = ip
		}
	}
	return hop
}

// parseHost reads an address as found in RemoteAddr, X-Forwarded-For or
// configuration: with or without a port, brackets, quotes or a zone. The
// result has no zone and IPv4-mapped IPv6 addresses are unmapped, so one
// client has one spelling.
func parseHost(s string) (netip.Addr, bool) {
	s = strings.Trim(strings.TrimSpace(s), `"`)
	// Address and port first: it is what every RemoteAddr is, and a failed
	// parse allocates its error.
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(s); err == nil {
		ip = ap.Addr()
	} else if ip, err = netip.ParseAddr(s); err != nil {
		if len(s) <= 2 || s[0] != '[' || s[len(s)-1] != ']' {
			return netip.Addr{}, false
		}
		if ip, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil {
			return netip.Addr{}, false
		}
	}
	return ip.WithZone("").Unmap(), true
}

// limitKey groups IPv6 clients by /64: one host usually holds a whole /64,
// and per-address buckets would let it take as many as it likes. Requests
// without a usable address share the zero key.
func limitKey(ip netip.Addr) netip.Addr {
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

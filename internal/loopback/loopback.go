// Package loopback says whether a host name or address names this machine.
// The mailer (may AUTH go out without TLS?), the doctor (is the relay
// local?) and the command (may web.base_url be local?) ask the same
// question, so they share one answer.
//
// It imports the standard library only.
package loopback

import (
	"net"
	"strings"
)

// IsHost reports whether host names this machine: a loopback IP (with or
// without brackets or an IPv6 zone), localhost or *.localhost (RFC 6761),
// or a unix: socket. Names are not resolved.
func IsHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if strings.HasPrefix(h, "unix:") {
		return true // a socket on this machine
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i] // fe80::1%eth0: the zone says which link, not which host
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

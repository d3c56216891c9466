package mailer

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

// cleartextAuth reports whether a relay would be sent the AUTH password
// unencrypted across a network: AUTH configured, no TLS, and a host that is
// not this machine. Loopback stays allowed (a local Postfix or a capture
// server); everything else needs AllowInsecureAuth. Host names are not
// resolved: only "localhost" and *.localhost count as loopback by name.
func cleartextAuth(host string, mode tlsmode.Mode, auth bool) bool {
	return auth && mode == tlsmode.None && !IsLoopbackHost(host)
}

// IsLoopbackHost reports whether host names this machine: a loopback IP
// (with or without brackets or an IPv6 zone), localhost or *.localhost, or
// a unix: socket. Names are not resolved.
func IsLoopbackHost(host string) bool {
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

// ErrCleartextAuth refuses a relay that would be sent the AUTH password
// unencrypted across a network (see Relay.AllowInsecureAuth).
var ErrCleartextAuth = errors.New("mailer: refusing to send the AUTH password in clear text")

// CheckCleartextAuth returns an error wrapping ErrCleartextAuth when the
// relay would be refused for sending its AUTH password in clear text.
func (r Relay) CheckCleartextAuth() error { return checkCleartextAuth(r) }

func checkCleartextAuth(r Relay) error {
	if r.AllowInsecureAuth || !cleartextAuth(r.Host, r.TLS, r.Username != "") {
		return nil
	}
	return fmt.Errorf("%w to %s (relay %s)", ErrCleartextAuth, r.Host, r.name())
}

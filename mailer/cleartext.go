package mailer

import (
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/internal/loopback"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

// cleartextAuth reports whether a relay would be sent the AUTH password
// unencrypted across a network: AUTH configured, no TLS, and a host that is
// not this machine. Loopback stays allowed (a local Postfix or a capture
// server); everything else needs AllowInsecureAuth. Host names are not
// resolved: only "localhost" and *.localhost count as loopback by name.
func cleartextAuth(host string, mode tlsmode.Mode, auth bool) bool {
	return auth && mode == tlsmode.None && !loopback.IsHost(host)
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

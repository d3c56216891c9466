package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/internal/loopback"
)

// CheckRelays connects to each relay (EHLO, STARTTLS or TLS, AUTH) and
// reads what it offers. No mail is sent.
func CheckRelays(ctx context.Context, c *Config) Report {
	var r Report
	if c.Probe == nil {
		return r
	}
	for i, rl := range c.Relays {
		info, err := c.Probe(ctx, i)
		name := "relay " + rl.Name
		if err != nil {
			r.add(GroupRelay, name, Fail, err.Error(), c.relayHint(i, err))
			continue
		}
		switch {
		case !info.TLS && !loopback.IsHost(rl.Host):
			r.add(GroupRelay, name+" tls", Fail, "the session is not encrypted", "set smtp.tls: starttls or tls")
		case !info.TLS:
			r.add(GroupRelay, name+" tls", Warn, "the session is not encrypted (relay on this machine)", "")
		case !info.Verified:
			r.add(GroupRelay, name+" tls", Warn, info.TLSVersion+", certificate not verified", "remove smtp.tls_skip_verify once the certificate is trusted")
		default:
			r.ok(GroupRelay, name+" tls", info.TLSVersion+", certificate valid")
		}
		if rl.Auth {
			r.ok(GroupRelay, name+" auth", "AUTH accepted")
		}
		if _, ok := info.Extensions["PIPELINING"]; ok {
			r.ok(GroupRelay, name+" pipelining", "advertised")
		} else {
			r.add(GroupRelay, name+" pipelining", Warn, "not advertised: each message costs more round trips", "")
		}
		if size, ok := info.Extensions["SIZE"]; ok {
			r.ok(GroupRelay, name+" size", "advertised "+strings.TrimSpace(size))
		} else {
			r.add(GroupRelay, name+" size", Warn, "SIZE not advertised: an oversized message is refused only after it is sent", "")
		}
		if info.RTT > 0 {
			r.ok(GroupRelay, name+" round trip", fmt.Sprintf("%.1f ms (EHLO)", float64(info.RTT.Microseconds())/1000))
		}
	}
	return r
}

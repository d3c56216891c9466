package doctor

import (
	"context"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
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
			r.add(GroupRelay, name, Fail, err.Error(), relayHint(rl, err))
			continue
		}
		switch {
		case !info.TLS && !IsLoopback(rl.Host):
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

// relayHint turns the usual connection mistakes into the setting to fix.
func relayHint(rl Relay, err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "first record does not look like a tls handshake"):
		return fmt.Sprintf("port %d does not speak implicit TLS: use smtp.tls: starttls (usually port 587)", rl.Port)
	case rl.Port == 465 && rl.TLS != tlsmode.Implicit:
		return "port 465 expects smtp.tls: tls"
	case strings.Contains(msg, "certificate"):
		return "the relay's certificate is not trusted for " + rl.Host + ": check smtp.host, or the relay's certificate"
	case strings.Contains(msg, "auth") || strings.Contains(msg, "535"):
		return "check smtp.username and smtp.password"
	case strings.Contains(msg, "refused") || strings.Contains(msg, "timeout") || strings.Contains(msg, "no such host"):
		return fmt.Sprintf("check smtp.host and smtp.port (%s:%d), and that this machine may connect to it", rl.Host, rl.Port)
	}
	return ""
}

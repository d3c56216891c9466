package doctor

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/dispatchhq/dispatch/internal/loopback"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

// CheckConfig runs the checks that need no network: they are cheap
// enough to run before every send.
func CheckConfig(c *Config) Report {
	var r Report
	local := c.Local()
	checkBaseURL(&r, c.BaseURL, local)
	for _, rl := range c.Relays {
		checkRelayTLS(&r, rl)
	}
	if strings.TrimSpace(c.PostalAddress) == "" {
		r.add(GroupConfig, "postal address", Fail, "sender.postal_address is empty",
			"set sender.postal_address to the firm's postal address: bulk mail must show one (CAN-SPAM, and most providers' terms)")
	} else {
		r.ok(GroupConfig, "postal address", "set")
	}
	checkCFBL(&r, c)
	if c.SecretProblem != nil {
		r.add(GroupConfig, "secret", Fail, c.SecretProblem.Error(),
			"set web.secret to a random value, e.g. the output of `openssl rand -base64 32`")
	} else {
		r.ok(GroupConfig, "secret", "web.secret is strong")
	}
	return r
}

func checkBaseURL(r *Report, raw string, local bool) {
	const name = "base url"
	soft := Fail
	if local {
		soft = Warn // nothing leaves this machine, as with quickstart
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		r.add(GroupConfig, name, Fail, fmt.Sprintf("web.base_url %q is not an absolute URL", raw),
			"set web.base_url to the public https address of `dispatch serve`, e.g. https://news.example.com")
		return
	}
	host := u.Hostname()
	switch {
	case u.Scheme != "https":
		r.add(GroupConfig, name, soft, fmt.Sprintf("web.base_url %s is not https: unsubscribe links must be https for one-click (RFC 8058)", raw),
			"serve `dispatch serve` behind TLS and set web.base_url to its https address")
	case !publicHost(host):
		r.add(GroupConfig, name, soft, fmt.Sprintf("web.base_url host %s is not reachable from the internet", host),
			"set web.base_url to a public name: recipients and their mail providers must reach the unsubscribe links")
	default:
		r.ok(GroupConfig, name, raw)
	}
}

// publicHost reports whether host could be reached from the internet: not
// loopback, not RFC 1918 or other private ranges, not a local-only name.
func publicHost(host string) bool {
	if loopback.IsHost(host) {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return !(ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsLoopback())
	}
	for _, s := range []string{".local", ".internal", ".lan", ".home.arpa", ".test", ".example", ".invalid"} {
		if hasSuffixFold(host, s) {
			return false
		}
	}
	return strings.Contains(host, ".")
}

func checkRelayTLS(r *Report, rl Relay) {
	name := "relay tls " + rl.Name
	loop := loopback.IsHost(rl.Host)
	switch {
	case rl.TLS == tlsmode.None && loop:
		r.add(GroupConfig, name, Warn, fmt.Sprintf("%s is on this machine and is reached without TLS", rl.Name), "")
	case rl.TLS == tlsmode.None:
		r.add(GroupConfig, name, Fail, fmt.Sprintf("%s is reached without TLS: credentials and mail cross the network in clear", rl.Name),
			"set smtp.tls: starttls (port 587) or tls (port 465)")
	case rl.SkipVerify:
		r.add(GroupConfig, name, Warn, fmt.Sprintf("%s: TLS is on but the certificate is not verified (smtp.tls_skip_verify)", rl.Name),
			"remove smtp.tls_skip_verify once the relay has a certificate from a trusted CA")
	default:
		r.ok(GroupConfig, name, fmt.Sprintf("%s: %s, certificate verified", rl.Name, rl.TLS))
	}
}

// checkCFBL: RFC 9477 section 3.1 has receivers ignore a CFBL-Address
// whose domain does not align with the DKIM signing domain.
func checkCFBL(r *Report, c *Config) {
	if c.CFBLAddress == "" {
		return
	}
	dom := domainOf(c.CFBLAddress)
	switch {
	case c.DKIM == nil:
		r.add(GroupConfig, "cfbl address", Fail, "sender.cfbl_address is set but Dispatch does not sign with DKIM", "configure dkim.*")
	case !aligned(dom, c.DKIM.Domain):
		r.add(GroupConfig, "cfbl address", Fail, fmt.Sprintf("CFBL address domain %s does not align with DKIM d=%s", dom, c.DKIM.Domain),
			fmt.Sprintf("use an address under %s", orgDomain(c.DKIM.Domain)))
	default:
		r.ok(GroupConfig, "cfbl address", c.CFBLAddress)
	}
}

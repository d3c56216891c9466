package doctor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/dispatchhq/dispatch/internal/loopback"
)

// spfLookupLimit is RFC 7208 section 4.6.4's limit on DNS-querying terms;
// past it receivers answer permerror, which DMARC counts as a fail.
const spfLookupLimit = 10

// checkSPF evaluates the envelope domain's SPF policy for each relay's
// addresses with a real SPF evaluator. It reports whether SPF passes.
func checkSPF(ctx context.Context, r *Report, c *Config, res resolverAPI, env string) bool {
	const name = "spf"
	recs, err := txtWith(ctx, res, env, "v=spf1")
	switch {
	case err != nil:
		r.add(GroupDNS, name, Warn, fmt.Sprintf("cannot look up SPF of %s: %v", env, err), "")
		return false
	case len(recs) > 1:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("%d SPF records at %s: receivers answer permerror", len(recs), env),
			"merge them into one v=spf1 record")
		return false
	}
	ips, local := relayIPs(ctx, c, res)
	if len(recs) == 0 {
		r.add(GroupDNS, name, Fail, fmt.Sprintf("no SPF record at %s, the envelope domain", env),
			fmt.Sprintf("publish TXT %s \"%s\"", env, suggestSPF("", ips)))
		return false
	}
	if local {
		r.add(GroupDNS, name, Warn, fmt.Sprintf("SPF record at %s: %s; the relay is on this machine, so which addresses it sends from is not known here", env, recs[0]), "")
		return true
	}
	pass := true
	for _, ip := range ips {
		result, err := spf.CheckHostWithSender(ip, "", "postmaster@"+env, spf.WithContext(ctx), spf.WithResolver(res))
		if errors.Is(err, spf.ErrLookupLimitReached) {
			r.add(GroupDNS, name, Warn, fmt.Sprintf("SPF of %s needs more than %d DNS lookups: receivers answer permerror", env, spfLookupLimit),
				"flatten includes you do not need, or replace them with ip4:/ip6: terms")
			pass = false
			continue
		}
		switch result {
		case spf.Pass:
			r.ok(GroupDNS, name, fmt.Sprintf("%s passes SPF for %s", ip, env))
		case spf.Neutral, spf.None:
			r.add(GroupDNS, name, Warn, fmt.Sprintf("SPF of %s is %s for relay address %s", env, result, ip),
				fmt.Sprintf("publish TXT %s \"%s\"", env, suggestSPF(recs[0], []net.IP{ip})))
			pass = false
		case spf.TempError:
			r.add(GroupDNS, name, Warn, fmt.Sprintf("SPF of %s could not be evaluated: %v", env, err), "")
			pass = false
		default:
			msg := fmt.Sprintf("SPF of %s is %s for relay address %s", env, result, ip)
			if err != nil && !errors.Is(err, spf.ErrMatchedAll) {
				msg += ": " + err.Error()
			}
			r.add(GroupDNS, name, Fail, msg, fmt.Sprintf("publish TXT %s \"%s\"", env, suggestSPF(recs[0], []net.IP{ip})))
			pass = false
		}
	}
	return pass
}

// relayIPs resolves every relay host. local is true when they are all on
// this machine, where the address mail leaves from is unknown.
func relayIPs(ctx context.Context, c *Config, res resolverAPI) (ips []net.IP, local bool) {
	local = c.Local()
	seen := map[string]bool{}
	for _, rl := range c.Relays {
		if loopback.IsHost(rl.Host) {
			continue
		}
		if ip := net.ParseIP(rl.Host); ip != nil {
			ips = appendNew(ips, seen, ip)
			continue
		}
		addrs, err := res.LookupIPAddr(ctx, rl.Host)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ips = appendNew(ips, seen, a.IP)
		}
	}
	return ips, local
}

func appendNew(ips []net.IP, seen map[string]bool, ip net.IP) []net.IP {
	if seen[ip.String()] {
		return ips
	}
	seen[ip.String()] = true
	return append(ips, ip)
}

// suggestSPF adds ip terms for ips to record, before its "all" term, or
// writes a new record.
func suggestSPF(record string, ips []net.IP) string {
	var terms []string
	for _, ip := range ips {
		if ip.To4() != nil {
			terms = append(terms, "ip4:"+ip.String())
		} else {
			terms = append(terms, "ip6:"+ip.String())
		}
	}
	if record == "" {
		return strings.Join(append(append([]string{"v=spf1"}, terms...), "-all"), " ")
	}
	fields := strings.Fields(record)
	for i, f := range fields {
		if strings.HasSuffix(strings.ToLower(f), "all") {
			return strings.Join(append(append(append([]string{}, fields[:i]...), terms...), fields[i:]...), " ")
		}
	}
	return strings.Join(append(fields, terms...), " ")
}

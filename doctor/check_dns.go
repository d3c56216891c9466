package doctor

import (
	"context"
	"fmt"
	"strings"
)

// CheckDNS runs the DNS checks: SPF for the envelope domain and the
// relays' addresses, the DKIM key, DMARC, alignment, an MX for bounces,
// and BIMI. They take a few round trips to a resolver, so `dispatch send`
// caches their result for a day.
func CheckDNS(ctx context.Context, c *Config) Report {
	var r Report
	res := c.resolver()
	from := domainOf(c.From)
	env := domainOf(c.BounceAddress)
	if env == "" {
		env = from
	}
	if from == "" {
		r.add(GroupDNS, "domains", Fail, "no From address to check", "set sender.from")
		return r
	}
	spfOK := checkSPF(ctx, &r, c, res, env)
	dkimOK := checkDKIM(ctx, &r, c, res)
	checkDMARC(ctx, &r, res, from)
	checkAlignment(&r, c, from, env, spfOK, dkimOK)
	checkMX(ctx, &r, res, env)
	checkBIMI(ctx, &r, res, from)
	return r
}

func checkAlignment(r *Report, c *Config, from, env string, spfOK, dkimOK bool) {
	dkimAligned := c.DKIM != nil && aligned(from, c.DKIM.Domain)
	spfAligned := aligned(from, env)
	switch {
	case dkimAligned:
		r.ok(GroupDNS, "dkim alignment", fmt.Sprintf("DKIM d=%s aligns with From domain %s", c.DKIM.Domain, from))
	case c.DKIM == nil:
		r.add(GroupDNS, "dkim alignment", alignStatus(spfAligned && spfOK),
			"Dispatch does not sign with DKIM, so DMARC rests on SPF alone (or on your relay's own signature)",
			fmt.Sprintf("configure dkim.domain: %s, dkim.selector and dkim.private_key_file", orgDomain(from)))
	default:
		r.add(GroupDNS, "dkim alignment", alignStatus(spfAligned && spfOK),
			fmt.Sprintf("DKIM d=%s does not align with From domain %s", c.DKIM.Domain, from),
			fmt.Sprintf("sign with dkim.domain: %s (or a subdomain of it)", orgDomain(from)))
	}
	if spfAligned {
		r.ok(GroupDNS, "spf alignment", fmt.Sprintf("envelope domain %s aligns with From domain %s", env, from))
	} else {
		r.add(GroupDNS, "spf alignment", alignStatus(dkimAligned && dkimOK),
			fmt.Sprintf("envelope domain %s does not align with From domain %s", env, from),
			fmt.Sprintf("use a bounce address under %s, e.g. sender.bounce_address: bounces@%s", orgDomain(from), orgDomain(from)))
	}
}

// alignStatus: DMARC passes when either identifier aligns and passes, so
// one misalignment is a warning while the other one holds.
func alignStatus(otherHolds bool) Status {
	if otherHolds {
		return Warn
	}
	return Fail
}

func checkDMARC(ctx context.Context, r *Report, res resolverAPI, from string) {
	const name = "dmarc"
	org := orgDomain(from)
	where := "_dmarc." + from
	recs, err := txtWith(ctx, res, where, "v=DMARC1")
	if err == nil && len(recs) == 0 && org != from {
		where = "_dmarc." + org
		recs, err = txtWith(ctx, res, where, "v=DMARC1")
	}
	switch {
	case err != nil:
		r.add(GroupDNS, name, Warn, fmt.Sprintf("cannot look up %s: %v", where, err), "")
		return
	case len(recs) == 0:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("no DMARC record at _dmarc.%s: Gmail, Yahoo and Outlook.com refuse bulk mail without one", org),
			fmt.Sprintf("publish TXT _dmarc.%s \"v=DMARC1; p=none; rua=mailto:dmarc@%s\"", org, org))
		return
	case len(recs) > 1:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("%d DMARC records at %s: receivers ignore them all", len(recs), where),
			"keep exactly one v=DMARC1 record")
		return
	}
	t := tags(recs[0])
	p := strings.ToLower(t["p"])
	switch {
	case p != "none" && p != "quarantine" && p != "reject":
		r.add(GroupDNS, name, Fail, fmt.Sprintf("DMARC record at %s has no valid policy: %q", where, recs[0]),
			fmt.Sprintf("publish TXT %s \"v=DMARC1; p=none; rua=mailto:dmarc@%s\"", where, org))
	case t["rua"] == "":
		r.add(GroupDNS, name, Warn, fmt.Sprintf("DMARC p=%s at %s, but no rua: you will get no aggregate reports", p, where),
			fmt.Sprintf("add rua=mailto:dmarc@%s to the record", org))
	default:
		r.ok(GroupDNS, name, fmt.Sprintf("p=%s at %s, reports to %s", p, where, t["rua"]))
	}
}

func checkMX(ctx context.Context, r *Report, res resolverAPI, env string) {
	mx, err := res.LookupMX(ctx, env)
	switch {
	case err != nil && !notFound(err):
		r.add(GroupDNS, "bounce mx", Warn, fmt.Sprintf("cannot look up MX of %s: %v", env, err), "")
	case len(mx) == 0 || (len(mx) == 1 && mx[0].Host == "."):
		r.add(GroupDNS, "bounce mx", Fail, fmt.Sprintf("no MX for %s, the envelope domain: bounces will not come back", env),
			fmt.Sprintf("publish MX %s pointing at the server whose mailbox Dispatch reads bounces from", env))
	default:
		r.ok(GroupDNS, "bounce mx", fmt.Sprintf("%s → %s", env, strings.TrimSuffix(mx[0].Host, ".")))
	}
}

func checkBIMI(ctx context.Context, r *Report, res resolverAPI, from string) {
	recs, err := txtWith(ctx, res, "default._bimi."+from, "v=BIMI1")
	switch {
	case err == nil && len(recs) > 0:
		r.ok(GroupDNS, "bimi", "published at default._bimi."+from)
	default:
		r.ok(GroupDNS, "bimi", "not published (optional: a logo beside your mail in some clients)")
	}
}

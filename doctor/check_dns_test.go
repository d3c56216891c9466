package doctor_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/internal/dnstest"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

var ed25519Key = func() ed25519.PrivateKey {
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	return k
}()

// goodSetup is a sending domain with everything published correctly for
// a relay at relay.example.com (192.0.2.10).
func goodSetup(t *testing.T) (*doctor.Config, dnstest.Zone) {
	t.Helper()
	d := &doctor.DKIM{Domain: "example.com", Selector: "news", Key: ed25519Key}
	rec, err := doctor.DKIMRecord(d)
	if err != nil {
		t.Fatal(err)
	}
	z := dnstest.Zone{
		"example.com":                 {"TXT v=spf1 ip4:192.0.2.10 -all", "MX 10 mx.example.com."},
		"bounces.example.com":         {"TXT v=spf1 ip4:192.0.2.10 -all", "MX 10 mx.example.com."},
		"relay.example.com":           {"A 192.0.2.10"},
		"news._domainkey.example.com": {"TXT " + rec},
		"_dmarc.example.com":          {"TXT v=DMARC1; p=quarantine; rua=mailto:dmarc@example.com"},
	}
	c := &doctor.Config{
		From:          "Briefing <briefing@example.com>",
		BounceAddress: "bounces@bounces.example.com",
		Relays:        []doctor.Relay{{Name: "relay", Host: "relay.example.com", Port: 587, TLS: tlsmode.StartTLS}},
		DKIM:          d,
	}
	return c, z
}

func find(t *testing.T, r doctor.Report, name string) doctor.Result {
	t.Helper()
	for _, x := range r.Results {
		if x.Name == name {
			return x
		}
	}
	t.Fatalf("no check %q in %+v", name, r.Results)
	return doctor.Result{}
}

func TestCheckDNS(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(c *doctor.Config, z dnstest.Zone)
		check  string
		want   doctor.Status
		msg    string // in the message
		fix    string // in the fix
	}{
		{name: "AllGoodSPF", check: "spf", want: doctor.OK, msg: "192.0.2.10 passes SPF for bounces.example.com"},
		{name: "AllGoodDKIM", check: "dkim", want: doctor.OK, msg: "matches the configured key"},
		{name: "AllGoodDMARC", check: "dmarc", want: doctor.OK, msg: "p=quarantine"},
		{name: "AllGoodMX", check: "bounce mx", want: doctor.OK},
		{name: "AllGoodAlignment", check: "dkim alignment", want: doctor.OK},
		{name: "BIMIOptional", check: "bimi", want: doctor.OK, msg: "optional"},
		{name: "NoSPF", change: func(c *doctor.Config, z dnstest.Zone) { z["bounces.example.com"] = []string{"MX 10 mx.example.com."} },
			check: "spf", want: doctor.Fail, msg: "no SPF record", fix: `publish TXT bounces.example.com "v=spf1 ip4:192.0.2.10 -all"`},
		{name: "SPFMissesRelay", change: func(c *doctor.Config, z dnstest.Zone) {
			z["bounces.example.com"][0] = "TXT v=spf1 ip4:198.51.100.1 -all"
		}, check: "spf", want: doctor.Fail, msg: "fail for relay address 192.0.2.10",
			fix: `"v=spf1 ip4:198.51.100.1 ip4:192.0.2.10 -all"`},
		{name: "SPFSoftfail", change: func(c *doctor.Config, z dnstest.Zone) {
			z["bounces.example.com"][0] = "TXT v=spf1 ~all"
		}, check: "spf", want: doctor.Fail, msg: "softfail"},
		{name: "SPFTooManyLookups", change: func(c *doctor.Config, z dnstest.Zone) {
			rec := "TXT v=spf1"
			for i := range 11 {
				name := "n" + string(rune('a'+i)) + ".example.com"
				z[name] = []string{"A 203.0.113.1"}
				rec += " a:" + name
			}
			z["bounces.example.com"][0] = rec + " ip4:192.0.2.10 -all"
		}, check: "spf", want: doctor.Warn, msg: "more than 10 DNS lookups"},
		{name: "SPFTwoRecords", change: func(c *doctor.Config, z dnstest.Zone) {
			z["bounces.example.com"] = append(z["bounces.example.com"], "TXT v=spf1 -all")
		}, check: "spf", want: doctor.Fail, msg: "2 SPF records"},
		{name: "NoDKIMKey", change: func(c *doctor.Config, z dnstest.Zone) { delete(z, "news._domainkey.example.com") },
			check: "dkim", want: doctor.Fail, msg: "no DKIM key published", fix: "publish TXT news._domainkey.example.com \"v=DKIM1; k=ed25519; p="},
		{name: "DKIMKeyMismatch", change: func(c *doctor.Config, z dnstest.Zone) {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			rec, _ := doctor.DKIMRecord(&doctor.DKIM{Key: other})
			z["news._domainkey.example.com"] = []string{"TXT " + rec}
		}, check: "dkim", want: doctor.Fail, msg: "not the public half"},
		{name: "DKIMWeakKey", change: func(c *doctor.Config, z dnstest.Zone) {
			c.DKIM.Key = rsa1024
			rec, _ := doctor.DKIMRecord(c.DKIM)
			z["news._domainkey.example.com"] = []string{"TXT " + rec}
		}, check: "dkim key size", want: doctor.Warn, msg: "1024 bits"},
		{name: "DKIMLongRSARecordMatches", change: func(c *doctor.Config, z dnstest.Zone) {
			c.DKIM.Key = rsa1024
			rec, _ := doctor.DKIMRecord(c.DKIM)
			z["news._domainkey.example.com"] = []string{"TXT " + rec}
		}, check: "dkim", want: doctor.OK},
		{name: "NoDKIMConfigured", change: func(c *doctor.Config, z dnstest.Zone) { c.DKIM = nil },
			check: "dkim", want: doctor.Warn, msg: "does not sign"},
		{name: "NoDMARC", change: func(c *doctor.Config, z dnstest.Zone) { delete(z, "_dmarc.example.com") },
			check: "dmarc", want: doctor.Fail, fix: `publish TXT _dmarc.example.com "v=DMARC1; p=none; rua=mailto:dmarc@example.com"`},
		{name: "DMARCWithoutRUA", change: func(c *doctor.Config, z dnstest.Zone) { z["_dmarc.example.com"] = []string{"TXT v=DMARC1; p=none"} },
			check: "dmarc", want: doctor.Warn, msg: "no rua"},
		{name: "DMARCAtOrgDomainForSubdomainFrom", change: func(c *doctor.Config, z dnstest.Zone) {
			c.From = "briefing@news.example.com"
			z["news.example.com"] = []string{"MX 10 mx.example.com."}
		}, check: "dmarc", want: doctor.OK, msg: "_dmarc.example.com"},
		{name: "DKIMNotAligned", change: func(c *doctor.Config, z dnstest.Zone) {
			c.DKIM.Domain = "mailer.example.net"
		}, check: "dkim alignment", want: doctor.Warn, msg: "does not align"},
		{name: "NothingAligned", change: func(c *doctor.Config, z dnstest.Zone) {
			c.DKIM.Domain = "mailer.example.net"
			c.BounceAddress = "b@example.org"
			z["example.org"] = []string{"TXT v=spf1 ip4:192.0.2.10 -all", "MX 10 mx.example.org."}
		}, check: "spf alignment", want: doctor.Fail},
		{name: "NoBounceMX", change: func(c *doctor.Config, z dnstest.Zone) {
			z["bounces.example.com"] = z["bounces.example.com"][:1]
		}, check: "bounce mx", want: doctor.Fail, fix: "publish MX bounces.example.com"},
		{name: "BIMIPublished", change: func(c *doctor.Config, z dnstest.Zone) {
			z["default._bimi.example.com"] = []string{"TXT v=BIMI1; l=https://example.com/logo.svg"}
		}, check: "bimi", want: doctor.OK, msg: "published"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, z := goodSetup(t)
			if tc.change != nil {
				tc.change(c, z)
			}
			c.Resolver = dnstest.Start(t, z)
			rep := doctor.CheckDNS(context.Background(), c)
			got := find(t, rep, tc.check)
			if got.Status != tc.want || !strings.Contains(got.Message, tc.msg) || !strings.Contains(got.Fix, tc.fix) {
				t.Errorf("%s = %v %q (fix %q); want %v containing %q (fix %q)", tc.check, got.Status, got.Message, got.Fix, tc.want, tc.msg, tc.fix)
			}
		})
	}
}

func TestCheckDNSAllGoodHasNoFailure(t *testing.T) {
	c, z := goodSetup(t)
	c.Resolver = dnstest.Start(t, z)
	rep := doctor.CheckDNS(context.Background(), c)
	if rep.Failed() || rep.Count(doctor.Warn) > 0 {
		t.Fatalf("a correct setup reported problems: %+v", rep.Results)
	}
}

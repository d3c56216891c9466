package doctor

import (
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
)

// DKIMRecord returns the TXT record that publishes key's public half, as
// RFC 6376 section 3.6.1 (RSA) and RFC 8463 (Ed25519) write it.
func DKIMRecord(d *DKIM) (string, error) {
	switch pub := d.Key.Public().(type) {
	case *rsa.PublicKey:
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("doctor: dkim public key: %w", err)
		}
		return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der), nil
	case ed25519.PublicKey:
		return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub), nil
	default:
		return "", fmt.Errorf("doctor: dkim key is %T; want RSA or Ed25519", pub)
	}
}

// checkDKIM compares the published selector record with the configured
// key. It reports whether they match.
func checkDKIM(ctx context.Context, r *Report, c *Config, res resolverAPI) bool {
	const name = "dkim"
	if c.DKIM == nil {
		r.add(GroupDNS, name, Warn, "Dispatch does not sign with DKIM: Gmail and Yahoo require DKIM for bulk senders, unless your relay signs for your domain",
			"generate a key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out dkim.pem`) and set dkim.domain, dkim.selector and dkim.private_key_file")
		return false
	}
	want, err := DKIMRecord(c.DKIM)
	if err != nil {
		r.add(GroupDNS, name, Fail, err.Error(), "use an RSA (2048-bit) or Ed25519 key")
		return false
	}
	where := c.DKIM.Selector + "._domainkey." + c.DKIM.Domain
	publish := fmt.Sprintf("publish TXT %s \"%s\"", where, want)
	if pub, ok := c.DKIM.Key.Public().(*rsa.PublicKey); ok {
		switch bits := pub.N.BitLen(); {
		case bits < 1024:
			r.add(GroupDNS, "dkim key size", Fail, fmt.Sprintf("RSA key of %d bits: receivers ignore signatures under 1024 bits", bits),
				"generate a 2048-bit key")
		case bits < 2048:
			r.add(GroupDNS, "dkim key size", Warn, fmt.Sprintf("RSA key of %d bits: 2048 is the norm", bits), "generate a 2048-bit key")
		default:
			r.ok(GroupDNS, "dkim key size", fmt.Sprintf("RSA %d bits", bits))
		}
	}
	recs, err := txtWith(ctx, res, where, "")
	if err != nil {
		r.add(GroupDNS, name, Warn, fmt.Sprintf("cannot look up %s: %v", where, err), "")
		return false
	}
	var keys []string
	for _, rec := range recs {
		t := tags(rec)
		if p, ok := t["p"]; ok && (t["v"] == "" || t["v"] == "DKIM1") {
			keys = append(keys, p)
		}
	}
	wantP := tags(want)["p"]
	switch {
	case len(keys) == 0:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("no DKIM key published at %s", where), publish)
		return false
	case len(keys) > 1:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("%d DKIM records at %s", len(keys), where), "keep one: "+publish)
		return false
	case keys[0] == "":
		r.add(GroupDNS, name, Fail, fmt.Sprintf("the key at %s is revoked (empty p=)", where), publish)
		return false
	case keys[0] != wantP:
		r.add(GroupDNS, name, Fail, fmt.Sprintf("the key published at %s is not the public half of dkim.private_key_file", where), publish)
		return false
	}
	r.ok(GroupDNS, name, fmt.Sprintf("%s matches the configured key", where))
	return true
}

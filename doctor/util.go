package doctor

import (
	"net/mail"
	"strings"

	"golang.org/x/net/publicsuffix"
)

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// domainOf returns the lower-cased domain of an address, "" when there is
// none. It accepts "Name <a@b>" forms.
func domainOf(addr string) string {
	if a, err := mail.ParseAddress(addr); err == nil {
		addr = a.Address
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
}

// orgDomain is the organisational domain of RFC 7489 section 3.2: the
// registrable domain under the public suffix list.
func orgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	if o, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil {
		return o
	}
	return d
}

// aligned is DMARC's relaxed alignment: same organisational domain.
func aligned(a, b string) bool {
	return a != "" && b != "" && orgDomain(a) == orgDomain(b)
}

// tags parses a DKIM/DMARC/BIMI tag list ("v=DMARC1; p=none").
func tags(record string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(record, ";") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Join(strings.Fields(v), "")
	}
	return out
}

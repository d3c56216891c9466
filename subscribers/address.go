package subscribers

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeEmail is the comparison form of an address: trimmed and
// lower-cased. Local parts are case-sensitive in theory, but no mailbox
// provider treats them so, and treating them so would let duplicates in.
func NormalizeEmail(addr string) string {
	return strings.ToLower(CleanEmail(addr))
}

// CleanEmail trims whitespace, including the invisible characters that
// spreadsheets leave behind (no-break and zero-width spaces, BOMs).
func CleanEmail(addr string) string {
	return strings.TrimFunc(addr, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff' || r == '\u00a0'
	})
}

// ValidateEmail checks that addr (already cleaned) is a bare RFC 5322
// addr-spec with a dotted domain name. The returned error says why not.
func ValidateEmail(addr string) error {
	switch {
	case addr == "":
		return errors.New("empty address")
	case !utf8.ValidString(addr):
		return errors.New("address is not valid text")
	case len(addr) > 254:
		return errors.New("address longer than 254 characters")
	case strings.ContainsAny(addr, "<>"):
		return errors.New("display-name or angle-bracket form; give the bare address")
	case strings.IndexFunc(addr, unicode.IsSpace) >= 0:
		return errors.New("address contains whitespace")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return errors.New("missing @")
	}
	local, domain := addr[:at], addr[at+1:]
	switch {
	case local == "":
		return errors.New("empty local part")
	case len(local) > 64:
		return errors.New("local part longer than 64 characters")
	case domain == "":
		return errors.New("empty domain")
	case strings.HasPrefix(domain, "["):
		return errors.New("IP-literal domains are not accepted")
	case !strings.Contains(domain, "."):
		return errors.New("domain has no dot")
	case strings.HasSuffix(domain, ".") || strings.HasPrefix(domain, ".") || strings.Contains(domain, ".."):
		return errors.New("domain has an empty label")
	}
	for _, label := range strings.Split(domain, ".") {
		if len(label) > 63 {
			return errors.New("domain label longer than 63 characters")
		}
		if strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return errors.New("domain label starts or ends with a hyphen")
		}
		for _, r := range label {
			if !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return errors.New("domain contains an invalid character " + quoteRune(r))
			}
		}
	}
	if isDotAtom(local) {
		return nil
	}
	// Quoted local parts and other rarities: let net/mail judge.
	a, err := mail.ParseAddress(addr)
	if err != nil {
		return errors.New("invalid address syntax")
	}
	if a.Name != "" || a.Address != addr {
		return errors.New("not a bare address")
	}
	return nil
}

func quoteRune(r rune) string { return "'" + string(r) + "'" }

// isDotAtom reports whether local is an RFC 5322 dot-atom, the form of
// nearly every real address; it saves a full parse per imported row.
func isDotAtom(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	prevDot := false
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
		prevDot = false
	}
	return true
}

package bounce

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// isLocalChar reports whether c may appear in the local part of an address
// as bounce texts write it. '/' is left out on purpose: it is legal but
// almost never used, and it lets URLs with an "@" be told from addresses.
func isLocalChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case c >= 0x80:
		return true // RFC 6531 UTF-8 local parts
	}
	return strings.IndexByte(".!#$%&'*+=?^_`{|}~-", c) >= 0
}

func isDomainChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '-' || c == '_'
}

// domainEnd returns where the domain starting at s[i] ends. Non-ASCII
// letters (IDNs) belong to it; non-ASCII punctuation, such as the Arabic
// comma after an address, does not.
func domainEnd(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if !isDomainChar(c) {
				return i
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r) {
			return i
		}
		i += n
	}
	return i
}

// addrSpan is an address found in text, with its byte offsets.
type addrSpan struct {
	addr       string // as written
	start, end int
}

// findAddresses returns the addresses in s in order of appearance. It is a
// scanner, not an RFC 5322 parser: it finds what bounce texts print.
func findAddresses(s string) []addrSpan {
	var out []addrSpan
	from := 0
	for {
		i := strings.IndexByte(s[from:], '@')
		if i < 0 {
			return out
		}
		at := from + i
		from = at + 1
		a := at
		for a > 0 && isLocalChar(s[a-1]) {
			a--
		}
		for a < at && (s[a] == '.' || s[a] == '=' || s[a] == '\'' || s[a] == '`') {
			a++
		}
		b := domainEnd(s, at+1)
		for b > at+1 && (s[b-1] == '.' || s[b-1] == '-') {
			b--
		}
		if a == at || b == at+1 {
			continue
		}
		dom := s[at+1 : b]
		dot := strings.LastIndexByte(dom, '.')
		if dot <= 0 || dot == len(dom)-1 {
			continue
		}
		if a > 0 && (s[a-1] == '/' || s[a-1] == ':' && a > 1 && s[a-2] == '/') {
			continue // part of a URL
		}
		out = append(out, addrSpan{addr: s[a:b], start: a, end: b})
		from = b
	}
}

// firstAddress returns the first address in s, or "".
func firstAddress(s string) string {
	if as := findAddresses(s); len(as) > 0 {
		return as[0].addr
	}
	return ""
}

// normAddr lowercases an address for comparison.
func normAddr(a string) string {
	return lowerASCII(strings.Trim(a, "<>\"' "))
}

// headerAddress returns the address in a header value such as
// `"Mail Delivery System" <MAILER-DAEMON@example.org>`, or the bare mailbox
// name (like "MAILER-DAEMON") when the value has no domain.
func headerAddress(v string) string {
	v = decodeWords(v)
	if a := firstAddress(v); a != "" {
		return a
	}
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return strings.TrimSpace(v)
}

// localPart returns the part of an address before the last "@".
func localPart(a string) string {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		return a[:i]
	}
	return a
}

// isDaemonAddress reports whether an address belongs to mail software rather
// than a person: the senders of bounces and the contacts they name.
func isDaemonAddress(a string) bool {
	l := lowerASCII(localPart(a))
	switch l {
	case "mailer-daemon", "postmaster", "mail.delivery.system", "mail-daemon",
		"mailerdaemon", "mdaemon", "post_master", "mailer_daemon",
		"mail_delivery_system", "maildelivery", "mailadmin", "sysadmin":
		return true
	}
	return strings.HasPrefix(l, "mailer-daemon") || strings.HasPrefix(l, "postmaster")
}

package templates

import "strings"

// The fast render path writes recipient values straight into the output,
// escaped exactly as html/template would escape them in the same place.
// html/template decides the place (text, attribute, URL) when it escapes the
// compiled document and records it as a chain of escaper functions at the
// end of each action's pipeline; escaperChains maps the chains we implement
// to an escaper. Any other chain (JavaScript, CSS, unquoted attributes)
// makes the document fall back to html/template. The functions below follow
// html/template's html.go and url.go (Go 1.26), restricted to string values,
// and escape_test.go checks them against html/template itself.

type escaper uint8

const (
	escNone     escaper = iota // text/template output: no escaping
	escHTML                    // element text, quoted attribute, RCDATA
	escURL                     // a whole URL attribute: filter + normalize + attr
	escURLPart                 // inside a URL before the query: normalize + attr
	escURLQuery                // in a URL's query or fragment: escape + attr
)

var escaperChains = map[string]escaper{
	"_html_template_htmlescaper":   escHTML,
	"_html_template_attrescaper":   escHTML,
	"_html_template_rcdataescaper": escHTML,
	"_html_template_urlfilter _html_template_urlnormalizer _html_template_attrescaper": escURL,
	"_html_template_urlnormalizer _html_template_attrescaper":                          escURLPart,
	"_html_template_urlescaper _html_template_attrescaper":                             escURLQuery,
}

// filterFailsafe is what html/template prints instead of an unsafe value.
const filterFailsafe = "ZgotmplZ"

// appendEscaped appends s to dst escaped with e.
func appendEscaped(dst []byte, s string, e escaper) []byte {
	switch e {
	case escHTML:
		return appendHTMLEscaped(dst, s)
	case escURL:
		if !isSafeURL(s) {
			s = "#" + filterFailsafe
		}
		return appendURLEscaped(dst, s, true)
	case escURLPart:
		return appendURLEscaped(dst, s, true)
	case escURLQuery:
		return appendURLEscaped(dst, s, false)
	}
	return append(dst, s...)
}

// appendHTMLEscaped escapes like html/template's htmlEscaper and
// attrEscaper for plain strings (htmlReplacementTable). All replaced
// characters are ASCII, so a byte loop matches html/template's rune loop,
// invalid UTF-8 included.
func appendHTMLEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, repl...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// appendURLEscaped applies html/template's urlNormalizer (norm) or
// urlEscaper (!norm) and then its attrEscaper. Of the characters the URL
// step leaves alone only '&' and '+' need attribute escaping.
func appendURLEscaped(dst []byte, s string, norm bool) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&' && norm:
			dst = append(dst, "&amp;"...)
			continue
		case c == '+' && norm:
			dst = append(dst, "&#43;"...)
			continue
		case norm && strings.IndexByte("!#$*,/:;=?@[]", c) >= 0:
			dst = append(dst, c)
			continue
		case c == '-' || c == '.' || c == '_' || c == '~':
			dst = append(dst, c)
			continue
		case c == '%' && norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			dst = append(dst, c)
			continue
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			dst = append(dst, c)
			continue
		}
		dst = append(dst, '%', hex[c>>4], hex[c&0xf])
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isSafeURL is html/template's: relative, or http, https or mailto.
func isSafeURL(s string) bool {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return false
		}
	}
	return true
}

package mailer

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Header fields as RFC 5322 and RFC 2047 want them: ASCII only, lines
// folded before a space once they pass 78 characters (and never longer
// than 998), text from outside — subjects, display names — cleared of
// control characters so that it cannot end a line and start a field.

const (
	foldAt = 78  // RFC 5322 section 2.1.1: SHOULD
	maxRun = 900 // longer unbroken text is encoded, which splits it, so no line passes 998
)

// appendField appends "name: value" and CRLF, folding value before a space
// (one followed by something other than a space) where the line would
// pass 78 characters. value must be ASCII without CR or LF.
func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	col := len(name) + 2
	if col+len(value) <= foldAt {
		dst = append(dst, value...)
		return append(dst, '\r', '\n')
	}
	for start := 0; start < len(value); {
		end := nextFold(value, start+1)
		if col+end-start > foldAt && start > 0 {
			dst = append(dst, '\r', '\n')
			col = 0
		}
		dst = append(dst, value[start:end]...)
		col += end - start
		start = end
	}
	return append(dst, '\r', '\n')
}

// nextFold returns the index of the first space at or after i where a
// line may be folded, or len(s).
func nextFold(s string, i int) int {
	for ; i < len(s)-1; i++ {
		if s[i] == ' ' && s[i+1] != ' ' {
			return i
		}
	}
	return len(s)
}

// cleanText turns control characters, CR and LF among them, into spaces.
// It returns s itself when there are none.
func cleanText(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return strings.Map(func(r rune) rune {
				if r < ' ' || r == 0x7f {
					return ' '
				}
				return r
			}, s)
		}
	}
	return s
}

// plainASCII reports whether s can go in a header as it is: printable
// ASCII, no "=?" that a reader would take for an encoded word, and no run
// without spaces long enough to force a line past 998 characters.
func plainASCII(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || c == '=' && i+1 < len(s) && s[i+1] == '?' {
			return false
		}
		if c == ' ' {
			run = 0
		} else if run++; run > maxRun {
			return false
		}
	}
	return true
}

// appendEncodedWords appends s as RFC 2047 "Q" encoded words in UTF-8,
// each at most 75 characters and holding whole characters, separated by
// spaces (where appendField may fold). In a phrase (a display name) only
// the characters section 5(3) allows stay as they are; in unstructured
// text (a Subject), any printable ASCII but "=", "?" and "_" does.
func appendEncodedWords(dst []byte, s string, phrase bool) []byte {
	const open, closing = "=?UTF-8?q?", "?="
	const room = 75 - len(open) - len(closing)
	dst = append(dst, open...)
	used := 0
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		need := 0
		for _, c := range []byte(s[i : i+size]) {
			need += qWidth(c, phrase)
		}
		if used+need > room {
			dst = append(dst, closing...)
			dst = append(dst, ' ')
			dst = append(dst, open...)
			used = 0
		}
		for _, c := range []byte(s[i : i+size]) {
			switch {
			case c == ' ':
				dst = append(dst, '_')
			case qWidth(c, phrase) == 1:
				dst = append(dst, c)
			default:
				dst = append(dst, '=', upperHex[c>>4], upperHex[c&15])
			}
		}
		used += need
		i += size
	}
	return append(dst, closing...)
}

// qWidth is how many characters byte c takes in a "Q" encoded word.
func qWidth(c byte, phrase bool) int {
	switch {
	case c == ' ', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
		c == '!', c == '*', c == '+', c == '-', c == '/':
		return 1
	case !phrase && c > ' ' && c <= '~' && c != '=' && c != '?' && c != '_':
		return 1
	}
	return 3
}

// headerText renders unstructured text (a Subject) for appendField.
func headerText(s string) string {
	s = cleanText(s)
	if plainASCII(s) {
		return s
	}
	return string(appendEncodedWords(nil, s, false))
}

// appendPhrase appends a display name: a quoted string when it is plain
// ASCII, encoded words otherwise.
func appendPhrase(dst []byte, name string) []byte {
	if !plainASCII(name) {
		return appendEncodedWords(dst, name, true)
	}
	dst = append(dst, '"')
	for i := 0; i < len(name); i++ {
		if c := name[i]; c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, name[i])
	}
	return append(dst, '"')
}

// formatAddress renders name and address for a From, To or Reply-To field.
// address must already be valid (mail.ParseAddress).
func formatAddress(name, address string) string {
	addr := (&mail.Address{Address: address}).String() // "<addr>", the local part quoted if it must be
	name = strings.TrimSpace(cleanText(name))
	if name == "" {
		return addr
	}
	b := make([]byte, 0, len(name)+len(addr)+8)
	b = appendPhrase(b, name)
	b = append(b, ' ')
	return string(append(b, addr...))
}

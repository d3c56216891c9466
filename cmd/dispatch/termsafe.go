package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// Subscriber names, attributes, bounce diagnostics and list titles come
// from strangers. Printed raw, an escape sequence in one of them can
// rewrite the admin's terminal (clear it, retitle it, hide lines, plant a
// command). So every human-facing line goes through termWriter, and table
// cells through termSafe.

// dangerous reports whether r must not reach a terminal as is: C0 and C1
// controls, DEL, and the bidirectional overrides that reorder what is shown.
func dangerous(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// appendEscape writes r visibly: \x1b for C0 controls, \u009b for the
// others. The \u form is also a valid JSON escape of the same character,
// so JSON output stays valid and means the same.
func appendEscape(b []byte, r rune) []byte {
	if r < 0x20 {
		return fmt.Appendf(b, `\x%02x`, r)
	}
	return fmt.Appendf(b, `\u%04x`, r)
}

// termSafe makes a value safe for one table cell or line: controls are
// escaped, tabs and line breaks too, so a value cannot shift columns or
// forge a line.
func termSafe(s string) string {
	clean := true
	for _, r := range s {
		if dangerous(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b []byte
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == utf8.RuneError && size == 1:
			b = fmt.Appendf(b, `\x%02x`, s[i])
		case dangerous(r):
			b = appendEscape(b, r)
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}

// termWriter escapes dangerous characters on their way out, keeping line
// breaks and tabs (the layout of the output). It is safe for concurrent
// use; Flush writes out a sequence held back at the end of a write.
type termWriter struct {
	w io.Writer

	mu    sync.Mutex
	carry []byte // an incomplete UTF-8 sequence from the last write
	buf   []byte
}

func newTermWriter(w io.Writer) *termWriter { return &termWriter{w: w} }

func (t *termWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := p
	if len(t.carry) > 0 {
		data = append(t.carry, p...)
		t.carry = nil
	}
	cut := len(data) - partialRune(data)
	t.buf = escapeTerm(t.buf[:0], data[:cut])
	t.carry = append([]byte(nil), data[cut:]...)
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held-back incomplete sequence, escaped.
func (t *termWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.carry) == 0 {
		return nil
	}
	t.buf = escapeTerm(t.buf[:0], t.carry)
	t.carry = nil
	_, err := t.w.Write(t.buf)
	return err
}

// partialRune is the length of an incomplete UTF-8 sequence ending b.
func partialRune(b []byte) int {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return 0
			}
			return len(b) - i
		}
	}
	return 0
}

func escapeTerm(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
				dst = append(dst, src[start:i]...)
				dst = appendEscape(dst, rune(c))
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1 && c <= 0x9f:
			// A lone C1 byte: an 8-bit terminal would obey it.
			dst = append(dst, src[start:i]...)
			dst = fmt.Appendf(dst, `\x%02x`, c)
			start = i + 1
		case dangerous(r):
			dst = append(dst, src[start:i]...)
			dst = appendEscape(dst, r)
			start = i + size
		}
		i += size
	}
	return append(dst, src[start:]...)
}

// termSafeLines is termSafe for multi-line text: line breaks stay.
func termSafeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = termSafe(l)
	}
	return strings.Join(lines, "\n")
}

// termSafeAll applies termSafe to each value, for joined lists of names.
func termSafeAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = termSafe(s)
	}
	return out
}

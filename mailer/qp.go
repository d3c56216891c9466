package mailer

import (
	"encoding/binary"
	"math/bits"
)

// Quoted-printable (RFC 2045 section 6.7), written straight into the
// message buffer. Output lines end in CRLF and stay within 76 characters,
// the soft break's "=" included. A "." that would start a line is written
// as "=2E", so no line of an encoded part needs dot-stuffing for DATA
// (RFC 5321 section 4.5.2) and the bytes DKIM signs are the bytes sent.

// qpLine is the most characters an encoded line holds before its soft
// break "=" (76 with it).
const qpLine = 75

// qpSafe marks the bytes written as themselves: printable ASCII but "=",
// plus space and tab (which are encoded at the end of a line).
var qpSafe = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = c != '='
	}
	t[' '], t['\t'] = true, true
	return t
}()

const upperHex = "0123456789ABCDEF"

// appendQP appends src quoted-printable encoded. A line break in src, LF
// or CRLF, becomes CRLF; a CR alone is encoded.
func appendQP(dst, src []byte) []byte {
	col := 0
	for i := 0; i < len(src); {
		c := src[i]
		if c == '\n' {
			dst = append(dst, '\r', '\n')
			col = 0
			i++
			continue
		}
		if c == '\r' && i+1 < len(src) && src[i+1] == '\n' {
			dst = append(dst, '\r', '\n')
			col = 0
			i += 2
			continue
		}
		literal := qpSafe[c] && !(c == '.' && col == 0) && !((c == ' ' || c == '\t') && qpLineEnds(src, i+1))
		width := 1
		if !literal {
			width = 3
		}
		if col+width > qpLine {
			dst = append(dst, '=', '\r', '\n')
			col = 0
			continue // look again: a "." now starts the line
		}
		if !literal {
			dst = append(dst, '=', upperHex[c>>4], upperHex[c&15])
			col += 3
			i++
			continue
		}
		// Copy the run of safe bytes that fits on the line in one go,
		// eight at a time while they are plain.
		end := min(len(src), i+qpLine-col)
		j := i + 1
		for j+8 <= end {
			if m := qpSpecial8(binary.LittleEndian.Uint64(src[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < end && qpSafe[src[j]] {
			j++
		}
		if j > i+1 && (src[j-1] == ' ' || src[j-1] == '\t') && qpLineEnds(src, j) {
			j-- // trailing white space is encoded, or decoders drop it
		}
		dst = append(dst, src[i:j]...)
		col += j - i
		i = j
	}
	return dst
}

// qpSpecial8 flags the bytes of w (little-endian) that are not printable
// ASCII or are "=", tab included, with the word-at-a-time tests for a
// byte below a bound and for a zero byte. Only its lowest flag is exact,
// which is all the caller needs: where the plain bytes end.
func qpSpecial8(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	control := (w - 0x20*ones) &^ w // a byte below 0x20
	high := w + ones | w            // a byte of 0x7f or more
	eq := w ^ '='*ones
	equals := (eq - ones) &^ eq // a "=" byte
	return (control | high | equals) & highs
}

// qpLineEnds reports whether a line break or the end of src is at i.
func qpLineEnds(src []byte, i int) bool {
	return i == len(src) || src[i] == '\n' || src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n'
}

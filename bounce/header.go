package bounce

import (
	"bytes"
	"mime"
	"strings"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
)

// wordDecoder decodes RFC 2047 encoded words in any charset go-message knows.
// It holds no mutable state, so sharing it is safe.
var wordDecoder = mime.WordDecoder{CharsetReader: charset.Reader}

// decodeWords decodes RFC 2047 encoded words, returning s unchanged when it
// has none or they are broken.
func decodeWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// readHeader parses a header block leniently: bounces quote headers that
// were cut, re-indented or mangled, so a line that is not a field ends the
// block instead of failing it. It returns the header and the offset of the
// body (just after the blank line, or at the first line that is not part of
// the header). A leading mbox "From " line is skipped.
func readHeader(data []byte) (textproto.Header, int) {
	var h textproto.Header
	off := scanHeader(data, func(key string, val []byte) {
		h.Add(key, strings.TrimSpace(string(val)))
	})
	return h, off
}

// scanHeader walks a header block as readHeader describes, calling field
// (when not nil) for each field with its unfolded value, and returns the
// offset of the body.
func scanHeader(data []byte, field func(key string, val []byte)) int {
	pos := 0
	if bytes.HasPrefix(data, []byte("From ")) {
		pos = nextLine(data, 0)
	}
	var key string
	var val []byte
	flush := func() {
		if key != "" && field != nil {
			field(key, val)
		}
		key, val = "", val[:0]
	}
	for pos < len(data) {
		end := nextLine(data, pos)
		line := trimEOL(data[pos:end])
		if len(line) == 0 {
			flush()
			return end
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key == "" {
				// A continuation without a field: not a header.
				flush()
				return pos
			}
			if field != nil {
				val = append(val, ' ')
				val = append(val, bytes.TrimSpace(line)...)
			}
			pos = end
			continue
		}
		k, v, ok := splitField(line)
		if !ok {
			if isParamLine(key, line) {
				// A MIME parameter that lost its indentation.
				if field != nil {
					val = append(val, ' ')
					val = append(val, bytes.TrimSpace(line)...)
				}
				pos = end
				continue
			}
			flush()
			return pos
		}
		flush()
		key = k
		if field != nil {
			val = append(val, v...)
		}
		pos = end
	}
	flush()
	return len(data)
}

// isParamLine reports a line like `boundary="xyz"` that belongs to the
// Content-Type (or Content-Disposition) field before it.
func isParamLine(key string, line []byte) bool {
	if !strings.EqualFold(key, "Content-Type") && !strings.EqualFold(key, "Content-Disposition") {
		return false
	}
	eq := bytes.IndexByte(line, '=')
	return eq > 0 && !bytes.ContainsAny(line[:eq], " \t:")
}

// splitField splits "Key: value" into a canonical key and the raw value.
func splitField(line []byte) (string, []byte, bool) {
	i := bytes.IndexByte(line, ':')
	if i <= 0 || i > 76 {
		return "", nil, false
	}
	k := bytes.TrimRight(line[:i], " \t")
	if len(k) == 0 {
		return "", nil, false
	}
	for _, c := range k {
		if c < 33 || c > 126 {
			return "", nil, false
		}
	}
	// Header.Add canonicalises the key itself.
	return string(k), bytes.TrimSpace(line[i+1:]), true
}

// nextLine returns the offset just past the line starting at pos.
func nextLine(data []byte, pos int) int {
	i := bytes.IndexByte(data[pos:], '\n')
	if i < 0 {
		return len(data)
	}
	return pos + i + 1
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Header fields peekHeader notes.
const (
	fieldReceived = 1 << iota
	fieldReturnPath
	fieldMessageID
	fieldDate
	fieldSubject
	fieldFrom
	fieldTo
	fieldMIMEVersion
	fieldDKIM
)

var peekedFields = []struct {
	name string // lowercase, with the colon
	bit  int
}{
	{"received:", fieldReceived}, {"return-path:", fieldReturnPath}, {"message-id:", fieldMessageID},
	{"date:", fieldDate}, {"subject:", fieldSubject}, {"from:", fieldFrom}, {"to:", fieldTo},
	{"mime-version:", fieldMIMEVersion}, {"dkim-signature:", fieldDKIM},
}

// peekHeader looks at the header block text starts with, without building
// it: how many fields it has (up to 20) and which of the usual ones.
func peekHeader[T string | []byte](text T) (n, fields int) {
	pos := 0
	for pos < len(text) && n < 20 {
		end := pos
		for end < len(text) && text[end] != '\n' {
			end++
		}
		line := text[pos:end]
		if end < len(text) {
			end++
		}
		for len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		switch {
		case len(line) == 0:
			return n, fields
		case line[0] == ' ' || line[0] == '\t':
			if n == 0 {
				return n, fields
			}
		default:
			colon := -1
			for i := 0; i < len(line) && i <= 76; i++ {
				c := line[i]
				if c == ':' {
					colon = i
					break
				}
				if c <= ' ' || c > '~' {
					break
				}
			}
			if colon <= 0 {
				return n, fields
			}
			n++
			for _, f := range peekedFields {
				if colon+1 == len(f.name) && equalFoldASCII(line[:colon+1], f.name) {
					fields |= f.bit
				}
			}
		}
		pos = end
	}
	return n, fields
}

func equalFoldASCII[T string | []byte](a T, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

// looksLikeHeaderBlock reports whether text starts with something that reads
// as a message header: several fields, at least one of the kind every
// message carries. It tells quoted original messages from prose.
func looksLikeHeaderBlock[T string | []byte](text T) bool {
	n, fields := peekHeader(text)
	return n >= 2 && fields != 0
}

// messageID trims the angle brackets and spaces around a Message-ID value.
func messageID(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j > 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	if i := strings.IndexAny(v, " \t"); i > 0 {
		v = v[:i]
	}
	return strings.Trim(v, "<>")
}

package bounce

import (
	"bytes"
	"sync"

	"github.com/emersion/go-message/textproto"
)

// originalHeader is the header of the returned message. The classifier
// needs a handful of its fields; the caller may want any of them. So the
// raw block is kept and parsed in full only when the caller asks.
type originalHeader struct {
	raw    []byte
	once   sync.Once
	parsed textproto.Header
}

// newOriginalHeader keeps a copy of the header block at the start of b.
func newOriginalHeader(b []byte) *originalHeader {
	end := headerEnd(b)
	return &originalHeader{raw: bytes.Clone(b[:end])}
}

// parsedOriginalHeader wraps a header that is already parsed (from JSON).
func parsedOriginalHeader(h textproto.Header) *originalHeader {
	o := &originalHeader{parsed: h}
	o.once.Do(func() {})
	return o
}

// header returns the parsed header; safe for concurrent use.
func (o *originalHeader) header() *textproto.Header {
	if o == nil {
		return &textproto.Header{}
	}
	o.once.Do(func() { o.parsed, _ = readHeader(o.raw) })
	return &o.parsed
}

// values returns the raw values of one field without parsing the rest.
func (o *originalHeader) values(name string) []string {
	if o == nil {
		return nil
	}
	if o.raw == nil {
		return o.parsed.Values(name)
	}
	var out []string
	data := o.raw
	for pos := 0; pos < len(data); {
		end := nextLine(data, pos)
		line := trimEOL(data[pos:end])
		pos = end
		if len(line) <= len(name) || line[len(name)] != ':' && line[len(name)] != ' ' || !equalFoldASCII(line[:len(name)], lowerASCII(name)) {
			continue
		}
		v := line[len(name):]
		v = bytes.TrimLeft(v, " \t")
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		val := append([]byte(nil), bytes.TrimSpace(v[1:])...)
		for pos < len(data) && (data[pos] == ' ' || data[pos] == '\t') {
			end = nextLine(data, pos)
			val = append(val, ' ')
			val = append(val, bytes.TrimSpace(trimEOL(data[pos:end]))...)
			pos = end
		}
		out = append(out, string(val))
	}
	return out
}

// get returns the first raw value of a field, or "".
func (o *originalHeader) get(name string) string {
	if vs := o.values(name); len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// empty reports whether there is no header.
func (o *originalHeader) empty() bool {
	return o == nil || o.raw == nil && o.parsed.Len() == 0
}

// headerEnd returns the length of the header block b starts with: up to and
// including the blank line, or the first line that cannot belong to it.
func headerEnd(b []byte) int {
	return scanHeader(b, nil)
}

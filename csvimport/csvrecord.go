package csvimport

import (
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
)

// LimitError is a row that broke one of the ImportLimits.
type LimitError struct {
	Line  int    // where the row starts
	Field int    // 1-based field that broke the limit (0 when it is the row)
	Key   string // the configuration key of the limit
	Limit int
}

func (e *LimitError) Error() string {
	switch e.Key {
	case "import.max_field_bytes":
		return fmt.Sprintf("field %d is longer than %s (import.max_field_bytes); the row was skipped", e.Field, subscribers.ByteSize(e.Limit))
	case "import.max_columns":
		return fmt.Sprintf("the row has more than %d fields (import.max_columns); the row was skipped", e.Limit)
	}
	return fmt.Sprintf("the row is longer than %s (import.max_row_bytes); the row was skipped", subscribers.ByteSize(e.Limit))
}

// recordReader splits CSV text into records exactly as encoding/csv does
// with LazyQuotes (quotes where RFC 4180 forbids them are text, \r\n becomes
// \n, empty lines are skipped, an unterminated quote ends at EOF), but it
// streams: it never holds more than one row within the limits. encoding/csv
// buffers a whole line, and a whole quoted field, whatever their size.
type recordReader struct {
	r        io.Reader
	buf      []byte
	pos, end int
	eof      bool
	readErr  error

	comma  []byte
	limits subscribers.ImportLimits
	line   int // line of the next unread byte, from 1

	rec        []byte // the current record's field bytes
	ends       []int  // end offset of each field in rec
	fieldStart int    // offset in rec of the field being read
	limErr     *LimitError
	out        []string // reused between records

	// Bytes that end a run of plain field text.
	stopPlain, stopQuoted [256]bool
}

func newRecordReader(r io.Reader, comma rune, limits subscribers.ImportLimits) *recordReader {
	c := make([]byte, utf8.RuneLen(comma))
	utf8.EncodeRune(c, comma)
	rr := &recordReader{r: r, buf: make([]byte, 64<<10), comma: c, limits: limits.WithDefaults(), line: 1}
	for _, b := range []byte{'\n', '\r', c[0]} {
		rr.stopPlain[b] = true
	}
	for _, b := range []byte{'\n', '\r', '"'} {
		rr.stopQuoted[b] = true
	}
	return rr
}

// more makes at least n unread bytes available if the input has them.
func (rr *recordReader) more(n int) bool {
	for rr.end-rr.pos < n && !rr.eof {
		if rr.pos > 0 {
			rr.end = copy(rr.buf, rr.buf[rr.pos:rr.end])
			rr.pos = 0
		}
		m, err := rr.r.Read(rr.buf[rr.end:])
		rr.end += m
		if err != nil {
			rr.eof = true
			if !errors.Is(err, io.EOF) {
				rr.readErr = err
			}
		}
	}
	return rr.end-rr.pos >= n
}

// next returns the next byte with \r\n read as \n (and a \r just before the
// end of input dropped, as encoding/csv does).
func (rr *recordReader) next() (byte, bool) {
	if !rr.more(1) {
		return 0, false
	}
	c := rr.buf[rr.pos]
	rr.pos++
	if c == '\r' {
		if !rr.more(1) {
			return 0, false
		}
		if rr.buf[rr.pos] == '\n' {
			rr.pos++
			c = '\n'
		}
	}
	if c == '\n' {
		rr.line++
	}
	return c, true
}

// atComma reports whether the unread input starts with the rest of a
// multi-byte delimiter whose first byte was just read, and consumes it.
func (rr *recordReader) atComma(c byte) bool {
	if c != rr.comma[0] {
		return false
	}
	rest := rr.comma[1:]
	if len(rest) == 0 {
		return true
	}
	if !rr.more(len(rest)) || string(rr.buf[rr.pos:rr.pos+len(rest)]) != string(rest) {
		return false
	}
	rr.pos += len(rest)
	return true
}

// keep appends field bytes, up to the limits; past them it records the
// first limit broken and drops the rest of the row.
func (rr *recordReader) keep(b ...byte) {
	if rr.limErr != nil {
		return
	}
	fieldRoom := rr.limits.MaxFieldBytes - (len(rr.rec) - rr.fieldStart)
	rowRoom := rr.limits.MaxRowBytes - len(rr.rec)
	if len(b) <= fieldRoom && len(b) <= rowRoom {
		rr.rec = append(rr.rec, b...)
		return
	}
	if fieldRoom <= rowRoom {
		rr.limErr = &LimitError{Field: len(rr.ends) + 1, Key: "import.max_field_bytes", Limit: rr.limits.MaxFieldBytes}
	} else {
		rr.limErr = &LimitError{Field: len(rr.ends) + 1, Key: "import.max_row_bytes", Limit: rr.limits.MaxRowBytes}
	}
}

func (rr *recordReader) endField() {
	if rr.limErr != nil {
		return
	}
	if len(rr.ends) >= rr.limits.MaxColumns {
		rr.limErr = &LimitError{Field: len(rr.ends) + 1, Key: "import.max_columns", Limit: rr.limits.MaxColumns}
		return
	}
	rr.ends = append(rr.ends, len(rr.rec))
	rr.fieldStart = len(rr.rec)
}

// keepRun keeps the bytes up to the next one in stop, in bulk, and leaves
// that byte unread. It returns false at the end of input.
func (rr *recordReader) keepRun(stop *[256]bool) bool {
	for {
		if rr.pos == rr.end && !rr.more(1) {
			return false
		}
		chunk := rr.buf[rr.pos:rr.end]
		i := 0
		for i < len(chunk) && !stop[chunk[i]] {
			i++
		}
		rr.keep(chunk[:i]...)
		rr.pos += i
		if i < len(chunk) {
			return true
		}
	}
}

// Read returns the next record and the line it starts on. A record that
// breaks a limit comes back as the fields read before it broke, with a
// *LimitError; reading continues after it.
func (rr *recordReader) Read() ([]string, int, error) {
	rr.rec, rr.ends, rr.fieldStart, rr.limErr = rr.rec[:0], rr.ends[:0], 0, nil
	c, ok := rr.skipEmptyLines()
	if !ok {
		if rr.readErr != nil {
			return nil, rr.line, rr.readErr
		}
		return nil, rr.line, io.EOF
	}
	start := rr.line
	for {
		var more bool
		if c == '"' {
			more = rr.quotedField()
		} else {
			more = rr.unquotedField(c)
		}
		rr.endField()
		if !more {
			break
		}
		// After a delimiter: the next field, possibly empty at the line end.
		if c, ok = rr.next(); !ok {
			rr.endField()
			break
		}
	}
	if rr.readErr != nil {
		return nil, start, rr.readErr
	}
	return rr.fields(start)
}

// skipEmptyLines returns the first byte of the next record; false at the
// end of input.
func (rr *recordReader) skipEmptyLines() (byte, bool) {
	for {
		c, ok := rr.next()
		if !ok || c != '\n' {
			return c, ok
		}
	}
}

// unquotedField keeps a field that starts with c, up to the delimiter
// (true: another field follows) or the end of the line or input (false).
func (rr *recordReader) unquotedField(c byte) bool {
	for {
		if c == '\n' {
			return false
		}
		if rr.atComma(c) {
			return true
		}
		rr.keep(c)
		if !rr.keepRun(&rr.stopPlain) {
			return false
		}
		var ok bool
		if c, ok = rr.next(); !ok {
			return false
		}
	}
}

// quotedField keeps a field after its opening quote: "" is a quote; a
// quote followed by the delimiter (true: another field follows) or by the
// end of the line (false) closes the field; any other quote is text.
func (rr *recordReader) quotedField() bool {
	for {
		if !rr.keepRun(&rr.stopQuoted) {
			return false
		}
		c, ok := rr.next()
		if !ok {
			return false
		}
		if c != '"' {
			rr.keep(c) // a line break (or a lone CR) inside the field
			continue
		}
		if c, ok = rr.next(); !ok || c == '\n' {
			return false
		}
		if c == '"' {
			rr.keep('"')
			continue
		}
		if rr.atComma(c) {
			return true
		}
		rr.keep('"', c)
	}
}

// fields cuts the record read into its fields, in one string allocation.
func (rr *recordReader) fields(start int) ([]string, int, error) {
	str := string(rr.rec)
	rr.out = rr.out[:0]
	prev := 0
	for _, e := range rr.ends {
		rr.out = append(rr.out, str[prev:e])
		prev = e
	}
	if rr.limErr != nil {
		rr.limErr.Line = start
		return rr.out, start, rr.limErr
	}
	return rr.out, start, nil
}

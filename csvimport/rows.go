package csvimport

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Reader reads a contact file's rows, each checked against the column
// mapping, for a store to commit. It is a subscribers.ContactRows.
type Reader struct {
	name     string
	src      *csvSource
	cols     *columnMap
	counter  *countingReader
	maxAttrs int

	// What was detected and mapped, as an import reports it.
	Encoding  string
	Delimiter string
	Columns   subscribers.ColumnMapping
}

var _ subscribers.ContactRows = (*Reader)(nil)

// Open reads the header of the contact file name from r, detecting the
// encoding and the delimiter unless cfg names them, and maps its columns
// (cfg.Mapping overrides what is detected). Only cfg's Encoding,
// Delimiter, Mapping and Limits are read. A file that cannot be imported
// at all (not CSV, empty, no email column, a header over the limits)
// is a *subscribers.ImportError.
func Open(name string, r io.Reader, cfg subscribers.ImportConfig) (*Reader, error) {
	limits := cfg.Limits.WithDefaults()
	counter := &countingReader{r: r}
	src, err := newCSVSource(counter, cfg.Encoding, cfg.Delimiter, limits)
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: err}
	}
	header, line, err := readHeader(src)
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: err}
	}
	cols, err := mapColumns(header, cfg.Mapping)
	if err != nil {
		return nil, &subscribers.ImportError{File: name, Err: fmt.Errorf("line %d: %w", line, err)}
	}
	return &Reader{name: name, src: src, cols: cols, counter: counter, maxAttrs: limits.MaxAttributesBytes,
		Encoding: src.encoding, Delimiter: string(src.delimiter), Columns: cols.describe()}, nil
}

// readHeader reads the first record, which must be the header row, and
// the line it is on.
func readHeader(src *csvSource) ([]string, int, error) {
	header, line, err := src.Read()
	if err == io.EOF {
		return nil, line, errors.New("file is empty")
	}
	var le *LimitError
	if errors.As(err, &le) {
		return nil, line, fmt.Errorf("line %d: the header row: %s", line, headerLimit(le))
	}
	if err != nil {
		return nil, line, fmt.Errorf("line %d: %w", line, err)
	}
	return header, line, nil
}

// Next returns the next row that is not blank, checked, or io.EOF after
// the last one. A row over a limit comes back with Invalid set: it is
// dropped whole, never cut, since a subscriber must not be created from
// part of what the file says about them. Any other error means the stream
// broke (I/O, decoding) at the line it names.
func (rd *Reader) Next() (subscribers.ContactRow, error) {
	for {
		rec, line, err := rd.src.Read()
		if err == io.EOF {
			return subscribers.ContactRow{}, io.EOF
		}
		var le *LimitError
		if errors.As(err, &le) {
			return subscribers.ContactRow{Line: line, Email: field(rec, rd.cols.email), Invalid: rd.cols.limitReason(le)}, nil
		}
		if err != nil {
			return subscribers.ContactRow{}, fmt.Errorf("%s: line %d: %w", rd.name, line, err)
		}
		if isBlank(rec) {
			continue
		}
		row := parseRow(rec, rd.cols, rd.maxAttrs)
		row.Line = line
		return row, nil
	}
}

// BytesRead says how much of the file has been read, for progress.
func (rd *Reader) BytesRead() int64 { return rd.counter.n }

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// parseRow checks one record; a row with Invalid set is to be skipped.
func parseRow(rec []string, cols *columnMap, maxAttrs int) subscribers.ContactRow {
	row, ok := parseEmail(rec, cols)
	if !ok {
		return row
	}
	row.Name = rowName(rec, cols)
	row.Status = subscribers.StatusActive
	statusAttr := ""
	if cols.status >= 0 {
		v := field(rec, cols.status)
		if st, ok := statusFromFile(v); ok {
			row.Status = st
		} else {
			// Not a status word: kept as an attribute rather than lost.
			statusAttr = v
		}
	}
	var js []byte
	if cols.json < 0 {
		js = plainAttributes(rec, cols, statusAttr)
	} else {
		var reason string
		if js, reason = mergedAttributes(rec, cols, statusAttr); reason != "" {
			row.Invalid = reason
			return row
		}
	}
	if len(js) > maxAttrs {
		row.Invalid = attrsTooLong(len(js), maxAttrs)
		return row
	}
	row.Attributes = string(js)
	return row
}

// parseEmail reads and checks the row's address. When it is not valid
// the row comes back with Invalid set and ok false.
func parseEmail(rec []string, cols *columnMap) (row subscribers.ContactRow, ok bool) {
	raw := ""
	if cols.email < len(rec) {
		raw = subscribers.UnescapeCSVCell(strings.TrimSpace(rec[cols.email]))
	}
	email := subscribers.CleanEmail(raw)
	// Google Contacts joins several addresses with " ::: ".
	if i := strings.Index(email, ":::"); i >= 0 {
		email = subscribers.CleanEmail(email[:i])
	}
	row.Email = email
	if email == "" {
		row.Email, row.Invalid = raw, "empty email"
		return row, false
	}
	if err := subscribers.ValidateEmail(email); err != nil {
		row.Invalid = err.Error()
		return row, false
	}
	return row, true
}

// rowName is the name column, or else the given and family names joined.
func rowName(rec []string, cols *columnMap) string {
	if name := field(rec, cols.name); name != "" {
		return name
	}
	var parts []string
	for _, i := range cols.first {
		if v := field(rec, i); v != "" {
			parts = append(parts, v)
		}
	}
	if v := field(rec, cols.last); v != "" {
		parts = append(parts, v)
	}
	return strings.Join(parts, " ")
}

// plainAttributes encodes the attribute columns, the common case, as a
// JSON object straight into bytes, without a map and reflection per row.
func plainAttributes(rec []string, cols *columnMap, statusAttr string) []byte {
	buf := make([]byte, 0, 128)
	buf = append(buf, '{')
	n := 0
	add := func(k, v string) {
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, v)
	}
	for _, a := range cols.attrs {
		if v := field(rec, a.index); v != "" {
			add(a.key, v)
		}
	}
	if statusAttr != "" && !cols.hasAttr("status") {
		add("status", statusAttr)
	}
	return append(buf, '}')
}

// mergedAttributes merges a column holding a JSON object of attributes
// (listmonk's export) with the attribute columns. A non-empty reason
// means the row cannot be imported.
func mergedAttributes(rec []string, cols *columnMap, statusAttr string) ([]byte, string) {
	attrs := map[string]any{}
	if v := field(rec, cols.json); v != "" && v != "{}" {
		var obj map[string]any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return nil, fmt.Sprintf("column %q is not a JSON object: %v", cols.header[cols.json], err)
		}
		for k, val := range obj {
			attrs[k] = val
		}
	}
	for _, a := range cols.attrs {
		if v := field(rec, a.index); v != "" {
			attrs[a.key] = v
		}
	}
	if statusAttr != "" {
		attrs["status"] = statusAttr
	}
	js, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Sprintf("attributes cannot be stored: %v", err)
	}
	return js, ""
}

// attrsTooLong words a row whose attributes break the limit.
func attrsTooLong(n, limit int) string {
	return subscribers.AttributesTooLong(n, limit) + "; the row was skipped"
}

// limitReason says which limit a row broke, naming the column.
func (m *columnMap) limitReason(le *LimitError) string {
	if le.Key == "import.max_field_bytes" && le.Field-1 < len(m.header) {
		return fmt.Sprintf("field %d (%q) is longer than %s (import.max_field_bytes); the row was skipped",
			le.Field, m.header[le.Field-1], subscribers.ByteSize(le.Limit))
	}
	return le.Error()
}

// headerLimit words a limit broken by the header row.
func headerLimit(le *LimitError) string {
	switch le.Key {
	case "import.max_columns":
		return fmt.Sprintf("more than %d columns (import.max_columns): is this a contact list?", le.Limit)
	case "import.max_field_bytes":
		return fmt.Sprintf("column %d's name is longer than %s (import.max_field_bytes)", le.Field, subscribers.ByteSize(le.Limit))
	}
	return fmt.Sprintf("longer than %s (import.max_row_bytes)", subscribers.ByteSize(le.Limit))
}

// appendJSONString appends s as a JSON string literal (s is valid UTF-8:
// the CSV reader decodes to UTF-8).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// countingReader counts the bytes read from the file, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

package csvimport

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
)

// csvOutcome is everything the import's reading side makes of a file, before
// the database: what the admin is told and which rows would be written.
type csvOutcome struct {
	Err        string // the file could not be imported at all
	HeaderLine int
	Encoding   string
	Delimiter  rune
	Columns    subscribers.ColumnMapping
	Rows       []subscribers.ContactRow
	Invalid    []subscribers.InvalidRow
	ReadErr    string
}

// readCSV runs the reading half of an import (sniffing, decoding, the
// header mapping and the row reader) over r, without a database.
func readCSV(t *testing.T, r io.Reader, enc string, delim rune, limits subscribers.ImportLimits) csvOutcome {
	t.Helper()
	var o csvOutcome
	src, err := newCSVSource(r, enc, delim, limits)
	if err != nil {
		o.Err = err.Error()
		return o
	}
	o.Encoding, o.Delimiter = src.encoding, src.delimiter
	header, line, err := readHeader(src)
	o.HeaderLine = line
	if err != nil {
		o.Err = err.Error()
		return o
	}
	cols, err := mapColumns(header, nil)
	if err != nil {
		o.Err = err.Error()
		return o
	}
	checkColumns(t, header, cols)
	o.Columns = cols.describe()

	rd := &Reader{name: "fuzz.csv", src: src, cols: cols, counter: &countingReader{}, maxAttrs: limits.WithDefaults().MaxAttributesBytes}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			o.ReadErr = err.Error()
			break
		}
		if row.Invalid != "" {
			o.Invalid = append(o.Invalid, subscribers.InvalidRow{Line: row.Line, Value: row.Email, Error: row.Invalid})
			continue
		}
		o.Rows = append(o.Rows, row)
	}
	return o
}

// checkColumns checks that a header mapping points inside the header and
// gives every attribute column its own, non-empty key.
func checkColumns(t *testing.T, header []string, cols *columnMap) {
	t.Helper()
	if cols.email < 0 || cols.email >= len(header) {
		t.Fatalf("email column %d of %d", cols.email, len(header))
	}
	used := map[int]bool{}
	keys := map[string]bool{}
	for _, a := range cols.attrs {
		if a.index < 0 || a.index >= len(header) || used[a.index] || a.index == cols.email {
			t.Fatalf("attribute column %d (%q) is out of range, repeated or the email column", a.index, a.key)
		}
		used[a.index] = true
		if a.key == "" || keys[a.key] {
			t.Fatalf("attribute key %q is empty or repeated", a.key)
		}
		keys[a.key] = true
	}
}

// checkOutcome checks the properties every reading of data must have.
func checkOutcome(t *testing.T, data []byte, o csvOutcome) {
	t.Helper()
	// Every line break of the decoded text comes from a '\n' or '\r' byte
	// (also in UTF-16, where the unit holds a 0x0A byte), so no record can
	// start after this line.
	lastLine := bytes.Count(data, []byte{'\n'}) + bytes.Count(data, []byte{'\r'}) + 1
	if o.Err != "" {
		if o.HeaderLine < 0 || o.HeaderLine > lastLine {
			t.Fatalf("header error at line %d of a file with at most %d lines", o.HeaderLine, lastLine)
		}
		return
	}
	if o.HeaderLine < 1 || o.HeaderLine > lastLine {
		t.Fatalf("header at line %d of a file with at most %d lines", o.HeaderLine, lastLine)
	}
	if !utf8.ValidString(o.Encoding) || o.Encoding == "" {
		t.Fatalf("encoding %q", o.Encoding)
	}

	var lines []int
	prev := o.HeaderLine
	for _, row := range o.Rows {
		if row.Line <= prev || row.Line > lastLine {
			t.Fatalf("row %q at line %d after line %d, file has at most %d lines", row.Email, row.Line, prev, lastLine)
		}
		prev = row.Line
		lines = append(lines, row.Line)
		if err := subscribers.ValidateEmail(row.Email); err != nil {
			t.Fatalf("accepted address %q does not validate: %v", row.Email, err)
		}
		// The store de-duplicates on the lower-cased address.
		if subscribers.CleanEmail(row.Email) != row.Email || subscribers.NormalizeEmail(row.Email) != strings.ToLower(row.Email) {
			t.Fatalf("accepted address %q is not clean or not in its normal form", row.Email)
		}
		if !utf8.ValidString(row.Name) {
			t.Fatalf("name %q is not valid UTF-8", row.Name)
		}
		if !slices.Contains(subscribers.Statuses, row.Status) {
			t.Fatalf("row %q has status %q", row.Email, row.Status)
		}
		var attrs map[string]any
		if !utf8.ValidString(row.Attributes) || json.Unmarshal([]byte(row.Attributes), &attrs) != nil || attrs == nil {
			t.Fatalf("row %q: attributes %q are not a JSON object", row.Email, row.Attributes)
		}
	}
	prev = o.HeaderLine
	for _, inv := range o.Invalid {
		if inv.Line <= prev || inv.Line > lastLine {
			t.Fatalf("invalid row %+v after line %d, file has at most %d lines", inv, prev, lastLine)
		}
		prev = inv.Line
		lines = append(lines, inv.Line)
		if inv.Error == "" || !utf8.ValidString(inv.Value) || !utf8.ValidString(inv.Error) {
			t.Fatalf("invalid row %+v: no reason, or text that is not UTF-8", inv)
		}
	}
	slices.Sort(lines)
	if len(slices.Compact(lines)) != len(o.Rows)+len(o.Invalid) {
		t.Fatalf("a line is reported both as a row and as an invalid row")
	}
	if strings.Contains(o.ReadErr, "line 0:") {
		t.Fatalf("read error blames line 0: %s", o.ReadErr)
	}
}

// checkLimits checks that no accepted row is over a limit.
func checkLimits(t *testing.T, o csvOutcome, l subscribers.ImportLimits) {
	t.Helper()
	for _, row := range o.Rows {
		if len(row.Email) > l.MaxFieldBytes || len(row.Attributes) > l.MaxAttributesBytes {
			t.Fatalf("row %+v accepted over the limits %+v", row, l)
		}
	}
	n := 1 + len(o.Columns.Name) + len(o.Columns.Attributes)
	if o.Columns.Status != "" {
		n++
	}
	if n > l.MaxColumns {
		t.Fatalf("%d columns mapped, limit %d", n, l.MaxColumns)
	}
}

// fuzzEncodings and fuzzDelimiters are the --encoding and --delimiter
// choices a fuzz input picks from; "" and 0 detect.
var (
	fuzzEncodings  = []string{"", "", "utf-8", "windows-1252", "utf-16le", "utf-16be", "shift_jis", "gb18030", "iso-2022-jp", "big5"}
	fuzzDelimiters = []rune{0, 0, ',', ';', '\t', '|'}
	// Tight limits, so that small inputs break them.
	fuzzLimits = subscribers.ImportLimits{MaxFieldBytes: 24, MaxRowBytes: 64, MaxColumns: 5, MaxAttributesBytes: 48}
)

// FuzzCSVReader feeds arbitrary files through the import's reader: sniffing,
// decoding, header mapping and row validation. Beyond not panicking, rows
// must carry line numbers inside the file and in order, accepted addresses
// must re-validate, accepted rows must keep within the limits (default or
// tight ones), and a file must read the same with a UTF-8 BOM, with CRLF or
// classic-Mac CR line ends, and when delivered a byte at a time.
func FuzzCSVReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		enc := fuzzEncodings[int(mode)%len(fuzzEncodings)]
		delim := fuzzDelimiters[int(mode)/len(fuzzEncodings)%len(fuzzDelimiters)]
		var limits subscribers.ImportLimits // the defaults
		if int(mode)/(len(fuzzEncodings)*len(fuzzDelimiters))%2 == 1 {
			limits = fuzzLimits
		}
		o := readCSV(t, bytes.NewReader(data), enc, delim, limits)
		checkLimits(t, o, limits.WithDefaults())
		checkOutcome(t, data, o)

		same := func(variant string, r io.Reader) {
			t.Helper()
			got := readCSV(t, r, enc, delim, limits)
			if !reflect.DeepEqual(got, o) {
				t.Fatalf("%s reads differently:\n got %+v\nwant %+v", variant, got, o)
			}
		}
		same("byte-at-a-time", iotest.OneByteReader(bytes.NewReader(data)))

		// The variants below change bytes of the file, so only when
		// encoding detection sees the same text in them: a small file of
		// single-byte or UTF-8 text, without CRs.
		if enc != "" || len(data) > sniffSize/2-3 || bytes.ContainsAny(data, "\x00\r") ||
			!(o.Encoding == "utf-8" || o.Encoding == "windows-1252") || bytes.HasPrefix(data, []byte("\ufeff")) {
			return
		}
		crlf := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		same("CRLF", bytes.NewReader(crlf))
		if bytes.Contains(data, []byte("\n")) {
			cr := bytes.ReplaceAll(data, []byte("\n"), []byte("\r"))
			same("CR", bytes.NewReader(cr))
		}
		if utf8.Valid(data) {
			bom := append([]byte("\ufeff"), data...)
			same("BOM", bytes.NewReader(bom))
		}
	})
}

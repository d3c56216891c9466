package csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/subscribers"
)

// csvRecords reads all records with encoding/csv as the import used to:
// lazy quotes, any number of fields.
func csvRecords(in string, comma rune) ([][]string, []int) {
	r := csv.NewReader(strings.NewReader(in))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = comma, -1, true
	var recs [][]string
	var lines []int
	for {
		rec, err := r.Read()
		if err != nil {
			return recs, lines
		}
		line, _ := r.FieldPos(0)
		recs = append(recs, rec)
		lines = append(lines, line)
	}
}

func recordReaderRecords(t testing.TB, in string, comma rune) ([][]string, []int) {
	// Limits out of reach: this compares the reading, not the limits.
	rr := newRecordReader(strings.NewReader(in), comma, subscribers.ImportLimits{MaxFieldBytes: 1 << 30, MaxRowBytes: 1 << 30, MaxColumns: 1 << 30})
	var recs [][]string
	var lines []int
	for {
		rec, line, err := rr.Read()
		if errors.Is(err, io.EOF) {
			return recs, lines
		}
		if err != nil {
			t.Fatalf("read %q: %v", in, err)
		}
		recs = append(recs, append([]string(nil), rec...))
		lines = append(lines, line)
	}
}

// checkSameAsEncodingCSV is the record reader's contract: within the
// limits, it reads what encoding/csv reads.
func checkSameAsEncodingCSV(t testing.TB, in string, comma rune) {
	wantRecs, wantLines := csvRecords(in, comma)
	gotRecs, gotLines := recordReaderRecords(t, in, comma)
	if !reflect.DeepEqual(gotRecs, wantRecs) || !reflect.DeepEqual(gotLines, wantLines) {
		t.Errorf("read %q with %q:\n got %q at lines %v\nwant %q at lines %v", in, comma, gotRecs, gotLines, wantRecs, wantLines)
	}
}

func TestRecordReaderMatchesEncodingCSV(t *testing.T) {
	inputs := []string{
		"", "\n", "\n\n\r\n", "a", "a\n", "a,b,c\n1,2,3\n", "a,b,\n,,\n", "a,b\r\n1,2\r\n",
		"a\rb,c\n", "a,b\r", "x\n\ny\n", `"a,b",c` + "\n", `"a""b",c`, `"a"b,c`, `a"b,c"d`,
		`"unterminated,x` + "\nmore\n", "\"multi\nline\",x\ny,z\n", "\"crlf\r\ninside\"\r\nnext\r\n",
		`"a" ,b`, `"",""` + "\n", `"`, `""`, `"""`, "\"a\"\n\"b\"", " \n", "a,\"b\"\"\",c\n", `"x"y"z",w`,
		"é,ü\n\"ß\",€\n", "\ufeffa,b\n", "a,b\n\n\n c\n", "\"a\"\r", "\"a\r\"b\n",
	}
	for _, in := range inputs {
		for _, comma := range []rune{',', ';', '\t', '|', '€'} {
			checkSameAsEncodingCSV(t, strings.ReplaceAll(in, ",", string(comma)), comma)
		}
	}
}

func FuzzRecordReaderMatchesEncodingCSV(f *testing.F) {
	f.Add("email,name\nada@example.com,\"Lovelace, Ada\"\n", uint8(0))
	f.Add("\"a\"\"b\"x,\"c\r\nd\"\r\n\n", uint8(1))
	f.Add("a€b€\"c€\"\n", uint8(4))
	commas := []rune{',', ';', '\t', '|', '€'}
	f.Fuzz(func(t *testing.T, in string, c uint8) {
		checkSameAsEncodingCSV(t, in, commas[int(c)%len(commas)])
	})
}

func TestRecordReaderLimits(t *testing.T) {
	lim := subscribers.ImportLimits{MaxFieldBytes: 4, MaxRowBytes: 10, MaxColumns: 3}
	tests := []struct {
		in    string
		field int
		key   string
		rec   []string // fields kept before the limit
	}{
		{in: "ab,abcde,x\nok\n", field: 2, key: "import.max_field_bytes", rec: []string{"ab"}},
		{in: "ab,\"abc\nde\",x\nok\n", field: 2, key: "import.max_field_bytes", rec: []string{"ab"}},
		{in: "abcd,abcd,abcd\nok\n", field: 3, key: "import.max_row_bytes", rec: []string{"abcd", "abcd"}},
		{in: "a,b,c,d\nok\n", field: 4, key: "import.max_columns", rec: []string{"a", "b", "c"}},
		{in: "a,b,c,\nok\n", field: 4, key: "import.max_columns", rec: []string{"a", "b", "c"}},
	}
	for _, tc := range tests {
		rr := newRecordReader(strings.NewReader(tc.in), ',', lim)
		rec, line, err := rr.Read()
		var le *LimitError
		if !errors.As(err, &le) || le.Key != tc.key || le.Field != tc.field || le.Line != 1 || line != 1 ||
			!reflect.DeepEqual(rec, tc.rec) {
			t.Errorf("read %q = %q, line %d, %#v; want %q, line 1, %s at field %d", tc.in, rec, line, err, tc.rec, tc.key, tc.field)
			continue
		}
		// The rest of the broken row is skipped, and reading goes on.
		if rec, line, err := rr.Read(); err != nil || line != strings.Count(tc.in, "\n") || !reflect.DeepEqual(rec, []string{"ok"}) {
			t.Errorf("after %q: read %q, line %d, %v; want [ok] on the last line", tc.in, rec, line, err)
		}
	}
}

// BenchmarkCSVRead compares the record reader with encoding/csv on the
// import benchmark's rows (parsing only; the import parses on its own
// goroutine, so this bounds its share).
func BenchmarkCSVRead(b *testing.B) {
	data, err := io.ReadAll(synthetic.CSV(100_000))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encoding-csv", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r := csv.NewReader(bytes.NewReader(data))
			r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = -1, true, true
			for {
				if _, err := r.Read(); err != nil {
					break
				}
			}
		}
	})
	b.Run("record-reader", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			rr := newRecordReader(bytes.NewReader(data), ',', subscribers.ImportLimits{})
			for {
				if _, _, err := rr.Read(); err != nil {
					break
				}
			}
		}
	})
}

package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// repeatReader yields n copies of b without holding them, so a test can
// feed a file far larger than anything it keeps.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	m := min(int64(len(p)), r.n)
	for i := range p[:m] {
		p[i] = r.b
	}
	r.n -= m
	return int(m), nil
}

func hostile(parts ...any) io.Reader {
	var rs []io.Reader
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			rs = append(rs, strings.NewReader(v))
		case io.Reader:
			rs = append(rs, v)
		}
	}
	return io.MultiReader(rs...)
}

func importReader(t *testing.T, s *sqlite.Store, r io.Reader, cfg subscribers.ImportConfig) (*subscribers.ImportResult, error) {
	t.Helper()
	if cfg.List == "" {
		cfg.List = "clients"
	}
	return csvimport.Import(context.Background(), s, "hostile.csv", r, cfg)
}

// wantInvalid checks that exactly the given lines were rejected, each
// with a reason naming the limit's key.
func wantInvalid(t *testing.T, res *subscribers.ImportResult, key string, lines ...int) {
	t.Helper()
	if res.InvalidCount != len(lines) || len(res.Invalid) != len(lines) {
		t.Fatalf("invalid rows %+v (count %d); want lines %v", res.Invalid, res.InvalidCount, lines)
	}
	for i, line := range lines {
		if inv := res.Invalid[i]; inv.Line != line || !strings.Contains(inv.Error, key) {
			t.Errorf("invalid row %+v; want line %d naming %s", inv, line, key)
		}
	}
}

// TestImportHugeFieldIsRejectedWithoutBeingHeld streams a 64 MiB field
// (quoted, across lines, as a hostile file would) and checks that the row
// is rejected by line, the rows around it are imported, and the import
// allocates a small fraction of the field's size.
func TestImportHugeFieldIsRejectedWithoutBeingHeld(t *testing.T) {
	const size = 64 << 20
	for _, tc := range []struct {
		name  string
		field io.Reader
		lines int // lines the field spans
	}{
		{name: "one line", field: &repeatReader{b: 'x', n: size}, lines: 1},
		{name: "quoted newlines", field: &repeatReader{b: '\n', n: size}, lines: size + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t)
			in := hostile("email,name,notes\n", "ada@example.com,Ada,short\n",
				`bob@example.com,Bob,"`, tc.field, "\"\n", "cy@example.com,Cy,after\n")
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res, err := importReader(t, s, in, subscribers.ImportConfig{})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if res.Added != 2 {
				t.Errorf("added %d; want the 2 rows around the hostile one", res.Added)
			}
			wantInvalid(t, res, "import.max_field_bytes", 3)
			if !strings.Contains(res.Invalid[0].Error, `field 3 ("notes")`) || res.Invalid[0].Value != "bob@example.com" {
				t.Errorf("invalid row %+v; want field 3 (\"notes\") and the address named", res.Invalid[0])
			}
			if got := mustFind(t, s, "cy@example.com").Attributes["notes"]; got != "after" {
				t.Errorf("row after the hostile one has notes %q; want %q (line %d)", got, "after", 3+tc.lines)
			}
			if _, err := s.FindSubscriberByEmail(context.Background(), "bob@example.com"); !errors.Is(err, subscribers.ErrNotFound) {
				t.Errorf("the hostile row created a subscriber (err %v)", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/4 {
				t.Errorf("import allocated %d MiB for a %d MiB field; want it streamed past", alloc>>20, size>>20)
			}
		})
	}
}

// TestImportRowAndColumnLimits covers the other three limits, each on a
// row between two good ones, with defaults and with configured limits.
func TestImportRowAndColumnLimits(t *testing.T) {
	wide := strings.Repeat(",x", 100_000) // 100,001 fields
	attrHeader, attrRow := "", ""
	for i := range 100 { // 100 columns of 1,000 bytes: ~100 KB of JSON
		attrHeader += fmt.Sprintf(",a%d", i)
		attrRow += "," + strings.Repeat("y", 1000)
	}
	bigJSON := `"{""k"": ""` + strings.Repeat("z", 60_000) + `""}"`
	tests := []struct {
		name   string
		file   string
		limits subscribers.ImportLimits
		key    string
	}{
		{name: "100k columns", key: "import.max_columns",
			file: "email,name\nada@example.com,Ada\nbob@example.com,Bob" + wide + "\ncy@example.com,Cy\n"},
		{name: "attributes from columns", key: "import.max_attributes_bytes",
			file: "email" + attrHeader + "\nada@example.com\nbob@example.com" + attrRow + "\ncy@example.com\n"},
		{name: "attributes from a listmonk JSON column", key: "import.max_attributes_bytes",
			limits: subscribers.ImportLimits{MaxAttributesBytes: 50_000},
			file:   "email,attributes\nada@example.com,{}\nbob@example.com," + bigJSON + "\ncy@example.com,{}\n"},
		{name: "row", key: "import.max_row_bytes", limits: subscribers.ImportLimits{MaxRowBytes: 4000},
			file: "email,a,b\nada@example.com,1,2\nbob@example.com," + strings.Repeat("r", 3000) + "," + strings.Repeat("s", 3000) + "\ncy@example.com,1,2\n"},
		{name: "configured columns", key: "import.max_columns", limits: subscribers.ImportLimits{MaxColumns: 3},
			file: "email,a,b\nada@example.com,1,2\nbob@example.com,1,2,3\ncy@example.com,1\n"},
		{name: "configured field", key: "import.max_field_bytes", limits: subscribers.ImportLimits{MaxFieldBytes: 20},
			file: "email,a\nada@example.com,1\nbob@example.com," + strings.Repeat("1", 21) + "\ncy@example.com," + strings.Repeat("1", 20) + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t)
			res, err := importReader(t, s, strings.NewReader(tc.file), subscribers.ImportConfig{Limits: tc.limits})
			if err != nil {
				t.Fatal(err)
			}
			if res.Added != 2 || res.Rows != 3 {
				t.Errorf("added %d of %d rows; want 2 of 3", res.Added, res.Rows)
			}
			wantInvalid(t, res, tc.key, 3)
			if res.Invalid[0].Value != "bob@example.com" {
				t.Errorf("invalid row names %q; want the address", res.Invalid[0].Value)
			}
		})
	}
}

func TestImportHeaderOverLimitsIsAFileError(t *testing.T) {
	tests := []struct {
		name, header, want string
	}{
		{name: "columns", header: "email" + strings.Repeat(",c", 1_000_000), want: "line 1: the header row: more than 1000 columns (import.max_columns)"},
		{name: "field", header: "email," + strings.Repeat("h", 70_000), want: "line 1: the header row: column 2's name is longer than 64 KiB (import.max_field_bytes)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustOpen(t)
			_, err := importReader(t, s, strings.NewReader(tc.header+"\nada@example.com\n"), subscribers.ImportConfig{})
			var ie *subscribers.ImportError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import error %v; want an ImportError saying %q", err, tc.want)
			}
		})
	}
}

// TestImportUpdateCannotGrowAttributesPastTheLimit merges two files whose
// attributes are each under the limit but together over it.
func TestImportUpdateCannotGrowAttributesPastTheLimit(t *testing.T) {
	file := func(prefix string) string {
		h, r := "email", "ada@example.com"
		for i := range 40 {
			h += fmt.Sprintf(",%s%d", prefix, i)
			r += "," + strings.Repeat("v", 1000)
		}
		return h + "\n" + r + "\n"
	}
	s := mustOpen(t)
	if res, err := importReader(t, s, strings.NewReader(file("a")), subscribers.ImportConfig{}); err != nil || res.Added != 1 {
		t.Fatalf("first import: %+v, %v", res, err)
	}
	res, err := importReader(t, s, strings.NewReader(file("b")), subscribers.ImportConfig{Update: true})
	if err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, res, "import.max_attributes_bytes", 2)
	if res.Updated != 0 {
		t.Errorf("updated %d; want 0", res.Updated)
	}
	if n := len(mustFind(t, s, "ada@example.com").Attributes); n != 40 {
		t.Errorf("stored attributes %d; want the first file's 40 left alone", n)
	}
}

func TestAddSubscriberCapsAttributes(t *testing.T) {
	s := mustOpen(t)
	big := map[string]any{"bio": strings.Repeat("b", subscribers.DefaultMaxAttributesBytes)}
	_, err := s.AddSubscriber(context.Background(), subscribers.AddInput{Email: "ada@example.com", Attributes: big})
	if !errors.Is(err, subscribers.ErrInvalid) || !strings.Contains(err.Error(), "64 KiB") {
		t.Fatalf("add with %d-byte attributes: %v; want ErrInvalid naming the 64 KiB limit", len(big["bio"].(string)), err)
	}
	if _, err := s.FindSubscriberByEmail(context.Background(), "ada@example.com"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("refused add left a subscriber (err %v)", err)
	}
	_, err = s.AddSubscriber(context.Background(), subscribers.AddInput{Email: "ada@example.com",
		Attributes: map[string]any{"bio": "short"}, MaxAttributesBytes: 10})
	if !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("add over a configured 10-byte limit: %v; want ErrInvalid", err)
	}
}

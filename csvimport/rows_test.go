package csvimport_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestReaderRows: the rows come checked, with their lines, blank lines
// skipped and invalid ones explained, and the bytes read counted.
func TestReaderRows(t *testing.T) {
	in := "Email;Name;Status\n" +
		"ada@example.com;Ada;\n" +
		";;\n" +
		"not-an-address;Bob;\n" +
		"cy@example.com;Cy;unsubscribed\n"
	rd, err := csvimport.Open("x.csv", strings.NewReader(in), subscribers.ImportConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Encoding != "utf-8" || rd.Delimiter != ";" || rd.Columns.Email != "Email" || rd.Columns.Status != "Status" {
		t.Errorf("detected %q %q %+v", rd.Encoding, rd.Delimiter, rd.Columns)
	}
	var got []subscribers.ContactRow
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, row)
	}
	want := []subscribers.ContactRow{
		{Line: 2, Email: "ada@example.com", Name: "Ada", Attributes: "{}", Status: subscribers.StatusActive},
		{Line: 4, Email: "not-an-address", Invalid: "missing @"},
		{Line: 5, Email: "cy@example.com", Name: "Cy", Attributes: "{}", Status: subscribers.StatusUnsubscribed},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %+v; want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Invalid != "" && strings.Contains(g.Invalid, w.Invalid) {
			g.Invalid = w.Invalid
		}
		if g != w {
			t.Errorf("row %d = %+v; want %+v", i, got[i], w)
		}
	}
	if rd.BytesRead() != int64(len(in)) {
		t.Errorf("read %d bytes of %d", rd.BytesRead(), len(in))
	}
}

// TestReaderNamesWhereTheFileBroke: a stream that fails past the sniffed
// start ends the rows with an error naming the file and the line.
func TestReaderNamesWhereTheFileBroke(t *testing.T) {
	var b strings.Builder
	b.WriteString("email\n")
	n := 0
	for ; b.Len() < 80<<10; n++ {
		fmt.Fprintf(&b, "p%d@example.com\n", n)
	}
	in := io.MultiReader(strings.NewReader(b.String()), iotest.ErrReader(errors.New("disk gone")))
	rd, err := csvimport.Open("x.csv", in, subscribers.ImportConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for {
		_, err = rd.Next()
		if err != nil {
			break
		}
		rows++
	}
	if want := fmt.Sprintf("x.csv: line %d: disk gone", n+2); err == nil || err.Error() != want {
		t.Errorf("after %d rows: err = %v; want %q", rows, err, want)
	}
	if rows != n {
		t.Errorf("%d rows before the error; want %d", rows, n)
	}
}

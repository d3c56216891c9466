package subscribers_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestCSVCellNeutralisesFormulas(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "=HYPERLINK(\"http://x\")", want: "'=HYPERLINK(\"http://x\")"},
		{in: "+1 555 0100", want: "'+1 555 0100"},
		{in: "-2+3", want: "'-2+3"},
		{in: "@SUM(A1)", want: "'@SUM(A1)"},
		{in: "\tcmd", want: "'\tcmd"},
		{in: "\rcmd", want: "'\rcmd"},
		{in: "Ada", want: "Ada"},
		{in: "", want: ""},
		{in: "a=b", want: "a=b"},
		{in: "'quoted", want: "'quoted"},
	}
	for _, tc := range tests {
		got := subscribers.CSVCell(tc.in)
		if got != tc.want {
			t.Errorf("CSVCell(%q) = %q; want %q", tc.in, got, tc.want)
		}
		if back := subscribers.UnescapeCSVCell(got); back != tc.in {
			t.Errorf("UnescapeCSVCell(%q) = %q; want %q back", got, back, tc.in)
		}
	}
}

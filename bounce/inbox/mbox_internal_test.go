package inbox

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitMbox(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "mboxo with separators and blank lines",
			in:   "From a@x Mon Mar 16 10:00:00 2026\nSubject: one\n\nbody one\n\nFrom b@x Mon Mar 16 10:00:01 2026\nSubject: two\n\nbody two\n",
			want: []string{"Subject: one\n\nbody one\n", "Subject: two\n\nbody two\n"},
		},
		{
			name: "escaped From lines are unescaped by one level and do not split",
			in:   "From a@x Mon Mar 16 10:00:00 2026\nSubject: one\n\n>From here\n>>From there\n> From quoted, left alone\n\n",
			want: []string{"Subject: one\n\nFrom here\n>From there\n> From quoted, left alone\n"},
		},
		{
			name: "crlf",
			in:   "From a@x Mon Mar 16 10:00:00 2026\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x\r\nSubject: two\r\n\r\nbody\r\n",
			want: []string{"Subject: one\r\n\r\nbody\r\n", "Subject: two\r\n\r\nbody\r\n"},
		},
		{
			name: "leading blank lines",
			in:   "\n\nFrom a@x Mon Mar 16 10:00:00 2026\nSubject: one\n\nbody\n",
			want: []string{"Subject: one\n\nbody\n"},
		},
		{
			name: "a plain message is one message, taken verbatim",
			in:   "Subject: plain\n\nbody\n>From stays escaped\nFrom the start of a line\n",
			want: []string{"Subject: plain\n\nbody\n>From stays escaped\nFrom the start of a line\n"},
		},
		{
			name: "empty messages are skipped",
			in:   "From a@x\n\nFrom b@x\nSubject: two\n\nbody\n",
			want: []string{"Subject: two\n\nbody\n"},
		},
		{name: "empty input", in: "", want: nil},
		{
			name: "no final newline",
			in:   "From a@x\nSubject: one\n\nbody",
			want: []string{"Subject: one\n\nbody"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			err := splitMbox(strings.NewReader(tc.in), func(m []byte) error {
				got = append(got, string(m))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitMbox(%q) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSplitMboxLongLine(t *testing.T) {
	long := strings.Repeat("x", 200<<10) // longer than the reader's buffer
	in := "From a@x\nSubject: long\n\n" + long + "\nend\n"
	var got []string
	if err := splitMbox(strings.NewReader(in), func(m []byte) error { got = append(got, string(m)); return nil }); err != nil {
		t.Fatal(err)
	}
	if want := "Subject: long\n\n" + long + "\nend\n"; len(got) != 1 || got[0] != want {
		t.Errorf("got %d messages, first %d bytes; want one of %d bytes", len(got), len(got[0]), len(want))
	}
}

// BenchmarkSplitMbox reads a 1000-message mbox (about 3 MB).
func BenchmarkSplitMbox(b *testing.B) {
	var sb strings.Builder
	body := strings.Repeat("A line of a returned message, long enough to be typical.\n", 50)
	for i := range 1000 {
		sb.WriteString("From MAILER-DAEMON Mon Mar 16 10:00:00 2026\nSubject: n")
		sb.WriteString(strings.Repeat("x", i%7))
		sb.WriteString("\n\n>From an escaped line\n")
		sb.WriteString(body)
		sb.WriteString("\n")
	}
	in := sb.String()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := splitMbox(strings.NewReader(in), func([]byte) error { n++; return nil }); err != nil || n != 1000 {
			b.Fatalf("split %d messages, %v", n, err)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestTermSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "Ada Lovelace", want: "Ada Lovelace"},
		{in: "Zoë 佐藤", want: "Zoë 佐藤"},
		{in: "Evil\x1b[2J\x1b]0;pwned\x07", want: `Evil\x1b[2J\x1b]0;pwned\x07`},
		{in: "two\nlines\tand\rcr", want: `two\nlines\tand\rcr`},
		{in: "del\x7f c1\u009b[31m", want: `del\u007f c1\u009b[31m`},
		{in: "rtl\u202etxt.exe", want: `rtl\u202etxt.exe`},
		{in: "bad\x9bbyte", want: `bad\x9bbyte`},
	}
	for _, tc := range tests {
		if got := termSafe(tc.in); got != tc.want {
			t.Errorf("termSafe(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestTermWriter escapes what a terminal would obey, keeps the layout,
// catches sequences split across writes, and leaves JSON valid and equal.
func TestTermWriter(t *testing.T) {
	var out bytes.Buffer
	w := newTermWriter(&out)
	c1 := []byte("\u009b")
	w.Write([]byte("a\x1b[2Jb\tc\n"))
	w.Write(append([]byte("split "), c1[0]))
	w.Write(append(c1[1:], " end\n"...))
	w.Flush()
	if want := "a\\x1b[2Jb\tc\nsplit \\u009b end\n"; out.String() != want {
		t.Errorf("wrote %q; want %q", out.String(), want)
	}

	out.Reset()
	name := "x\u009b\u202e\x7fy"
	js, _ := json.Marshal(map[string]string{"name": name})
	w.Write(js)
	w.Flush()
	var back map[string]string
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back["name"] != name {
		t.Errorf("JSON through the writer %s: %v, name %q; want valid JSON with %q", out.Bytes(), err, back["name"], name)
	}
	if bytes.ContainsAny(out.Bytes(), "\x7f\u009b\u202e") {
		t.Errorf("JSON through the writer still holds raw controls: %q", out.Bytes())
	}
}

func TestTermSafeLinesKeepsLineBreaks(t *testing.T) {
	got := termSafeLines("550 5.1.1 user unknown\n\x1b[2Jforged\tcell")
	if want := "550 5.1.1 user unknown\n\\x1b[2Jforged\\tcell"; got != want {
		t.Errorf("termSafeLines = %q, want %q", got, want)
	}
}

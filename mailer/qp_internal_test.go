package mailer

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/bits"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
)

// TestQuotedPrintableRoundTrip decodes what appendQP wrote with the
// standard library's reader and checks the encoding rules a relay or a
// mail client relies on.
func TestQuotedPrintableRoundTrip(t *testing.T) {
	long := strings.Repeat("abcdefghij", 30)
	inputs := []string{
		"",
		"plain text",
		"line one\nline two\n",
		"line one\r\nline two\r\n",
		"mixed\nendings\r\nhere",
		"trailing space \nand tab\t\nat the end ",
		"trailing spaces   \r\n\t\t\r\n",
		"lone CR\rin the middle\r",
		"CR before CRLF\r\r\n",
		"a = b == c =\n=",
		"=3D is not decoded twice",
		".\n.leading dot\n..two\n. \n",
		"text\n.\nend",
		"." + long,
		long,
		strings.Repeat("=", 100),
		strings.Repeat(" ", 100),
		strings.Repeat(" ", 100) + "x",
		strings.Repeat("x", 74) + " \n",
		strings.Repeat("x", 75) + "\n",
		strings.Repeat("x", 76) + "\n",
		strings.Repeat("x", 74) + "=\n",
		strings.Repeat("x", 75) + "." + strings.Repeat("y", 80),
		strings.Repeat("x", 73) + "éé",
		"Grüße aus Köln, naïve café, 日本語, emoji 🎉\n",
		"\x00\x01\x7f\x80\xff binary bytes",
		"<a href=\"https://example.com/?a=1&b=2\">link</a>\n",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "Z", "0", " ", "\t", ".", "=", "\r", "\n", "\r\n", "é", "\x00", "\xff", "-", "_"}
	for range 2000 {
		var sb strings.Builder
		for range rng.IntN(400) {
			if rng.IntN(20) == 0 {
				sb.WriteString(strings.Repeat("w", rng.IntN(200)))
				continue
			}
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, sb.String())
	}
	for _, in := range inputs {
		prefix := []byte("kept: ")
		enc := appendQP(append([]byte(nil), prefix...), []byte(in))
		if !bytes.HasPrefix(enc, prefix) {
			t.Fatalf("appendQP changed what was in dst: %q", enc)
		}
		enc = enc[len(prefix):]
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(enc)))
		if err != nil {
			t.Fatalf("decode %q (from %q): %v", enc, in, err)
		}
		// Line breaks become CRLF; a lone CR stays a CR.
		want := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\n", "\r\n")
		if string(dec) != want {
			t.Fatalf("decode(encode(%q)) = %q\nencoded: %q", in, dec, enc)
		}
		checkQPLines(t, in, enc)
	}
}

// checkQPLines: CRLF line ends only, at most 76 characters, printable
// ASCII, no white space before a line end, no line starting with ".".
func checkQPLines(t *testing.T, in string, enc []byte) {
	t.Helper()
	lines := bytes.Split(enc, []byte("\r\n"))
	for n, line := range lines {
		switch {
		case len(line) > 76:
			t.Fatalf("line %d of encode(%q) is %d characters: %q", n, in, len(line), line)
		case bytes.HasPrefix(line, []byte(".")):
			t.Fatalf("line %d of encode(%q) starts with a dot: %q", n, in, line)
		case len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t'):
			t.Fatalf("line %d of encode(%q) ends in white space: %q", n, in, line)
		}
		for _, c := range line {
			if (c < '!' || c > '~') && c != ' ' && c != '\t' {
				t.Fatalf("line %d of encode(%q) has byte %#x: %q", n, in, c, line)
			}
		}
	}
}

func TestQuotedPrintableExamples(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a=b", "a=3Db"},
		{"end \n", "end=20\r\n"},
		{".hidden", "=2Ehidden"},
		{"caf\xc3\xa9", "caf=C3=A9"},
		{strings.Repeat("x", 80), strings.Repeat("x", 75) + "=\r\n" + "xxxxx"},
		{strings.Repeat("x", 74) + "=", strings.Repeat("x", 74) + "=\r\n=3D"},
		{strings.Repeat("x", 75) + ".", strings.Repeat("x", 75) + "=\r\n=2E"},
	}
	for _, tc := range tests {
		if got := string(appendQP(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendQP(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestQPSpecial8 checks the word-at-a-time test against the table: its
// lowest flag must mark the first byte that is not plain, wherever it is
// and whatever follows it.
func TestQPSpecial8(t *testing.T) {
	plain := func(b byte) bool { return qpSafe[b] && b != '\t' }
	for c := range 256 {
		for _, after := range []byte{'a', 0, '\t', '=', 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff} {
			for p := range 8 {
				for q := p; q < 8; q++ {
					w := []byte("abcdefgh")
					w[q] = after
					w[p] = byte(c)
					first := 8
					for i, b := range w {
						if !plain(b) {
							first = i
							break
						}
					}
					m := qpSpecial8(binary.LittleEndian.Uint64(w))
					if got := bits.TrailingZeros64(m) >> 3; got != first {
						t.Fatalf("qpSpecial8(%q) marks byte %d first; want %d", w, got, first)
					}
				}
			}
		}
	}
}

func BenchmarkQuotedPrintable(b *testing.B) {
	html := []byte(strings.Repeat(`<p style="margin: 0 0 16px; font-family: Georgia, serif;">Deliverability depends on many small things done right, café.</p>`+"\n", 80))
	b.SetBytes(int64(len(html)))
	buf := make([]byte, 0, 3*len(html))
	for b.Loop() {
		buf = appendQP(buf[:0], html)
	}
}

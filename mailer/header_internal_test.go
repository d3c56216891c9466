package mailer

import (
	"strconv"
	"strings"
	"testing"
)

func TestAppendField(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"Subject", "short", "Subject: short\r\n"},
		{"Subject", strings.Repeat("word ", 20) + "end", "Subject: " + strings.TrimSpace(strings.Repeat("word ", 14)) + "\r\n " +
			strings.TrimSpace(strings.Repeat("word ", 6)) + " end\r\n"},
		{"X", strings.Repeat("y", 100), "X: " + strings.Repeat("y", 100) + "\r\n"},
		{"X", "a" + strings.Repeat(" ", 90) + "b", "X: a" + strings.Repeat(" ", 89) + "\r\n b\r\n"},
	}
	for _, tc := range tests {
		if got := string(appendField(nil, tc.name, tc.value)); got != tc.want {
			t.Errorf("appendField(%q, %q) =\n%q\nwant\n%q", tc.name, tc.value, got, tc.want)
		}
	}
}

func TestHeaderText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Weekly briefing", "Weekly briefing"},
		{"line\r\nbreak", "line  break"},
		{"[Test] Café", "=?UTF-8?q?[Test]_Caf=C3=A9?="},
		{"a =?x?q?y?= b", "=?UTF-8?q?a_=3D=3Fx=3Fq=3Fy=3F=3D_b?="},
		{"under_score é", "=?UTF-8?q?under=5Fscore_=C3=A9?="},
	}
	for _, tc := range tests {
		if got := headerText(tc.in); got != tc.want {
			t.Errorf("headerText(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatAddress(t *testing.T) {
	tests := []struct{ name, addr, want string }{
		{"", "a@example.com", "<a@example.com>"},
		{"  ", "a@example.com", "<a@example.com>"},
		{"Ann Lee", "a@example.com", `"Ann Lee" <a@example.com>`},
		{`Say "hi" \o/`, "a@example.com", `"Say \"hi\" \\o/" <a@example.com>`},
		{"Zoë (home)", "a@example.com", "=?UTF-8?q?Zo=C3=AB_=28home=29?= <a@example.com>"},
		{"x", "first last@example.com", `"x" <"first last"@example.com>`},
	}
	for _, tc := range tests {
		if got := formatAddress(tc.name, tc.addr); got != tc.want {
			t.Errorf("formatAddress(%q, %q) = %q; want %q", tc.name, tc.addr, got, tc.want)
		}
	}
}

// TestEncodedWordsKeepCharactersWhole: no encoded word passes 75
// characters or splits a UTF-8 sequence.
func TestEncodedWordsKeepCharactersWhole(t *testing.T) {
	for _, s := range []string{strings.Repeat("é", 100), strings.Repeat("a🎉", 50), strings.Repeat("x", 500)} {
		for _, phrase := range []bool{true, false} {
			for w := range strings.SplitSeq(string(appendEncodedWords(nil, s, phrase)), " ") {
				if len(w) > 75 || !strings.HasPrefix(w, "=?UTF-8?q?") || !strings.HasSuffix(w, "?=") {
					t.Fatalf("encoded word %q", w)
				}
				if rest, ok := strings.CutPrefix(w, "=?UTF-8?q?="); ok {
					if b, err := strconv.ParseUint(rest[:2], 16, 8); err == nil && b >= 0x80 && b < 0xc0 {
						t.Fatalf("encoded word %q starts inside a character", w)
					}
				}
			}
		}
	}
}

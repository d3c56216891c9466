package templates_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/templates"
)

func TestParseIssue(t *testing.T) {
	src := "---\r\nsubject: \"Weekly #42 for {{ .FirstName }}\"\r\npreheader: Short\r\ndate: 2024-12-04\r\nfrom: \"Briefings <briefings@example.com>\"\r\nlayout: layouts/mine.html\r\n---\r\n# Title\r\n\r\nBody\r\n"
	is, err := templates.ParseIssue("news/weekly 42.md", []byte(src))
	if err != nil {
		t.Fatalf("ParseIssue: %v", err)
	}
	want := templates.Issue{
		Path:          "news/weekly 42.md",
		ID:            "weekly-42",
		Subject:       "Weekly #42 for {{ .FirstName }}",
		Preheader:     "Short",
		From:          "Briefings <briefings@example.com>",
		Layout:        "layouts/mine.html",
		Date:          time.Date(2024, 12, 4, 0, 0, 0, 0, time.UTC),
		Body:          "# Title\n\nBody\n",
		BodyLine:      8,
		SubjectLine:   2,
		PreheaderLine: 3,
	}
	if !is.Date.Equal(want.Date) {
		t.Errorf("Date = %v; want %v", is.Date, want.Date)
	}
	is.Date = want.Date
	if *is != want {
		t.Errorf("ParseIssue = %+v\nwant %+v", *is, want)
	}
}

// TestParseIssueLineEnds: a lone CR ends a line, as in YAML and CommonMark,
// also right before a CRLF; the body keeps no CR, so writing it out again
// and re-parsing changes nothing. Found by FuzzParseIssue.
func TestParseIssueLineEnds(t *testing.T) {
	src := "---\rsubject: x\r\r\npreheader: y\r\n---\r\r\nBody\r"
	is, err := templates.ParseIssue("issue.md", []byte(src))
	if err != nil {
		t.Fatalf("ParseIssue(%q): %v", src, err)
	}
	if is.Subject != "x" || is.Preheader != "y" || is.Body != "\nBody\n" {
		t.Errorf("ParseIssue(%q) = subject %q, preheader %q, body %q; want x, y, \"\\nBody\\n\"", src, is.Subject, is.Preheader, is.Body)
	}
	if is.SubjectLine != 2 || is.PreheaderLine != 4 || is.BodyLine != 6 {
		t.Errorf("lines: subject %d, preheader %d, body %d; want 2, 4, 6", is.SubjectLine, is.PreheaderLine, is.BodyLine)
	}
}

// TestParseIssueBlankID: an id of spaces is no id, so the file name gives
// it, as for a missing one; a padded id is trimmed. Found by FuzzParseIssue.
func TestParseIssueBlankID(t *testing.T) {
	tests := []struct {
		name, id, want string
	}{
		{name: "blank", id: `"  "`, want: "weekly-42"},
		{name: "padded", id: `" spring-sale "`, want: "spring-sale"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "---\nsubject: x\nid: " + tc.id + "\n---\nbody\n"
			is, err := templates.ParseIssue("news/Weekly 42.md", []byte(src))
			if err != nil {
				t.Fatalf("ParseIssue(%q): %v", src, err)
			}
			if is.ID != tc.want {
				t.Errorf("ParseIssue(%q).ID = %q; want %q", src, is.ID, tc.want)
			}
		})
	}
}

func TestParseIssueErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantMsg  string
	}{
		{name: "no front matter", src: "# Just markdown\n", wantLine: 1, wantMsg: "missing front matter"},
		{name: "unclosed front matter", src: "---\nsubject: x\n# body\n", wantLine: 1, wantMsg: "missing front matter"},
		{name: "malformed yaml", src: "---\nsubject: ok\npreheader: [unclosed\n---\nbody\n", wantLine: 3, wantMsg: "front matter"},
		{name: "bad indentation", src: "---\nsubject: ok\n  date: 2024-01-01\n---\n", wantLine: 3, wantMsg: "front matter"},
		{name: "unknown key", src: "---\nsubject: ok\ncolour: blue\n---\nbody\n", wantLine: 3, wantMsg: `unknown front matter key "colour"`},
		{name: "missing subject", src: "---\npreheader: hi\n---\nbody\n", wantLine: 1, wantMsg: "no subject"},
		{name: "empty subject", src: "---\nsubject: \"  \"\n---\nbody\n", wantLine: 2, wantMsg: "no subject"},
		{name: "bad date", src: "---\nsubject: ok\ndate: next tuesday\n---\n", wantLine: 3, wantMsg: "is not a date"},
		{name: "bad from", src: "---\nsubject: ok\nfrom: not an address\n---\n", wantLine: 3, wantMsg: "not an email address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := templates.ParseIssue("issue.md", []byte(tc.src))
			var ce *templates.CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("ParseIssue(%q) error = %v; want *CheckError", tc.src, err)
			}
			c := ce.Checks[0]
			if c.File != "issue.md" || c.Line != tc.wantLine || c.Severity != templates.SeverityError || !strings.Contains(c.Message, tc.wantMsg) {
				t.Errorf("ParseIssue(%q) check = %+v; want issue.md:%d error containing %q", tc.src, c, tc.wantLine, tc.wantMsg)
			}
			if !strings.Contains(err.Error(), "issue.md:") {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestLoadIssue(t *testing.T) {
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		t.Fatalf("LoadIssue: %v", err)
	}
	if is.ID != "security-chatter-2024-12-04" || !strings.HasPrefix(is.Subject, "Security Chatter") {
		t.Errorf("LoadIssue = ID %q, Subject %q", is.ID, is.Subject)
	}
	if _, err := templates.LoadIssue(filepath.Join(t.TempDir(), "missing.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadIssue(missing) error = %v; want ErrNotExist", err)
	}
}

package templates_test

import (
	"bytes"
	"errors"
	"net/mail"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/dispatchhq/dispatch/templates"
)

// FuzzParseIssue feeds arbitrary files to the issue parser. A rejected file
// must be reported as checks pointing at lines of the file; an accepted one
// must have a subject, a usable From, line numbers that point where its
// parts are, and must come back the same when its front matter is written
// out again and re-parsed.
func FuzzParseIssue(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		const name = "news/issue 7.md"
		is, err := templates.ParseIssue(name, src)
		// Editors start a line after "\n" and after a lone "\r".
		lastLine := bytes.Count(src, []byte("\n")) + bytes.Count(src, []byte("\r")) -
			bytes.Count(src, []byte("\r\n")) + 1
		if err != nil {
			var ce *templates.CheckError
			if !errors.As(err, &ce) || len(ce.Checks) == 0 {
				t.Fatalf("ParseIssue error %v (%T) is not a CheckError with checks", err, err)
			}
			for _, c := range ce.Checks {
				if c.File != name || c.Severity != templates.SeverityError || c.Line < 1 || c.Line > lastLine {
					t.Fatalf("check %+v: want an error in %s on a line in 1..%d", c, name, lastLine)
				}
			}
			return
		}
		checkIssue(t, src, is)

		// Write the parsed issue back out as front matter and parse that.
		fm := map[string]any{"subject": is.Subject, "id": is.ID}
		for k, v := range map[string]string{"preheader": is.Preheader, "from": is.From, "layout": is.Layout} {
			if v != "" {
				fm[k] = v
			}
		}
		if !is.Date.IsZero() {
			fm["date"] = is.Date
		}
		out, err := yaml.Marshal(fm)
		if err != nil {
			t.Fatalf("marshal front matter of %+v: %v", is, err)
		}
		file := "---\n" + string(out) + "---\n" + is.Body
		again, err := templates.ParseIssue(name, []byte(file))
		if err != nil {
			t.Fatalf("re-parse of\n%s\nfailed: %v", file, err)
		}
		checkIssue(t, []byte(file), again)
		if !again.Date.Equal(is.Date) {
			t.Fatalf("date %v came back as %v", is.Date, again.Date)
		}
		if again.Subject != is.Subject || again.Preheader != is.Preheader || again.From != is.From ||
			again.Layout != is.Layout || again.ID != is.ID || again.Body != is.Body {
			t.Fatalf("round trip through\n%s\nchanged %+v\ninto %+v", file, *is, *again)
		}
	})
}

// checkIssue checks an accepted issue against its source.
func checkIssue(t *testing.T, src []byte, is *templates.Issue) {
	t.Helper()
	if strings.TrimSpace(is.Subject) == "" || strings.TrimSpace(is.ID) == "" {
		t.Fatalf("accepted issue with subject %q and id %q", is.Subject, is.ID)
	}
	if is.From != "" {
		if _, err := mail.ParseAddress(is.From); err != nil {
			t.Fatalf("accepted from %q: %v", is.From, err)
		}
	}
	// The body is the file from BodyLine on, with line ends made LF.
	norm := strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(strings.TrimPrefix(string(src), "\ufeff"))
	lines := strings.SplitAfter(norm, "\n")
	if is.BodyLine < 3 || is.BodyLine > len(lines)+1 {
		t.Fatalf("body line %d of a file with %d lines", is.BodyLine, len(lines))
	}
	if want := strings.Join(lines[min(is.BodyLine-1, len(lines)):], ""); is.Body != want {
		t.Fatalf("body = %q; the file from line %d is %q", is.Body, is.BodyLine, want)
	}
	// Subject and preheader lines are inside the front matter.
	for key, l := range map[string]int{"subject": is.SubjectLine, "preheader": is.PreheaderLine} {
		if l != 0 && (l < 2 || l >= is.BodyLine-1) {
			t.Fatalf("%s on line %d, outside the front matter (body on line %d)", key, l, is.BodyLine)
		}
	}
}

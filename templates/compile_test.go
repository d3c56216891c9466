package templates_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the compiled output; review the change, then run go test ./templates -update\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}

// TestCompileExampleGolden pins the compiled templates of the example issue:
// the HTML after inlining, placeholders included, and the text part.
func TestCompileExampleGolden(t *testing.T) {
	c := mustCompileExample(t)
	s := c.Snapshot()
	golden(t, "issue.golden.html", []byte(s.HTML))
	golden(t, "issue.golden.txt", []byte(s.Text))
	if len(c.Warnings) != 0 {
		t.Errorf("Warnings = %v; want none", c.Warnings)
	}
	if !c.FastPath() {
		t.Error("FastPath() = false for the example issue; want the program path")
	}
}

// TestPlaceholdersSurviveInlining checks that per-recipient actions come out
// of goldmark and premailer verbatim, in text and in attributes.
func TestPlaceholdersSurviveInlining(t *testing.T) {
	issue := "---\nsubject: \"News for {{ .FirstName | default \\\"you\\\" }}\"\n---\n" +
		"Hello {{ .FirstName | default \"there\" }} from {{ .Attr \"company\" }}.\n\n" +
		"[Manage]({{ .WebURL }}) or [leave]({{ .UnsubscribeURL }}).\n\n" +
		"| Who | Where |\n|-----|-------|\n| {{ .Name }} | {{ .Email }} |\n"
	c, err := compileFiles(t, issue, "", testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	html := c.Snapshot().HTML
	for _, want := range []string{
		`Hello {{ .FirstName | default "there" }} from {{ .Attr "company" }}.`,
		`<a href="{{ .WebURL }}"`,
		`<a href="{{ .UnsubscribeURL }}"`,
		`>{{ .Name }}</td>`,
		`>{{ .Email }}</td>`,
		`<title>News for {{ .FirstName | default "you" }}</title>`,
		`<a href="{{.UnsubscribeURL}}"`, // from the default layout
	} {
		if !strings.Contains(html, want) {
			t.Errorf("compiled HTML lacks %s", want)
		}
	}
	if strings.Contains(html, "&#34;") || strings.Contains(html, "%7B") {
		t.Error("compiled HTML has escaped quotes or percent-encoded braces in placeholders")
	}
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Hello Ada from Analytical Engines Ltd.",
		`<a href="https://news.example.com/u/sample-token"`,
		">Ada Lovelace</td>",
	} {
		if !strings.Contains(string(r.HTML), want) {
			t.Errorf("rendered HTML lacks %s", want)
		}
	}
	if r.Subject != "News for Ada" {
		t.Errorf("Subject = %q; want %q", r.Subject, "News for Ada")
	}
}

// TestDefaultLayout checks the parts of the default layout that email
// clients and the law care about.
func TestDefaultLayout(t *testing.T) {
	c := mustCompileExample(t)
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	html := string(r.HTML)
	style := regexp.MustCompile(`(?s)<style[^>]*>(.*?)</style>`).FindAllStringSubmatch(html, -1)
	if len(style) != 1 {
		t.Fatalf("found %d <style> blocks; want 1 (media queries)", len(style))
	}
	for _, want := range []string{"@media only screen and (max-width: 620px)", "@media (prefers-color-scheme: dark)"} {
		if !strings.Contains(style[0][1], want) {
			t.Errorf("<style> lacks %q", want)
		}
	}
	checks := []struct{ what, re string }{
		{"color-scheme meta", `<meta name="color-scheme" content="light dark"/>`},
		{"viewport meta", `<meta name="viewport" content="width=device-width, initial-scale=1"/>`},
		{"hidden preheader", `<div class="preheader" style="display:none;[^"]*">A router flaw under active attack`},
		{"fluid container up to 600px", `class="container" width="100%"[^>]*style="[^"]*max-width:600px`},
		{"600px Outlook wrapper", `<!--\[if mso\]><table role="presentation" width="600" [^>]*><tr><td width="600"><!\[endif\]-->`},
		{"card background attribute", `<td class="card" bgcolor="#ffffff"`},
		{"supported-color-schemes meta", `<meta name="supported-color-schemes" content="light dark"/>`},
		{"title in header", `<h1 class="title" style="[^"]*">Security Chatter</h1>`},
		{"date in header", `<p class="dateline" style="[^"]*">December 4, 2024</p>`},
		{"styled byline", `<p class="byline" style="[^"]*"><em>By the Northwind`},
		{"inlined headings", `<h2 style="[^"]*font-family:Georgia`},
		{"reason", `You are receiving this email because you subscribed to Security Chatter clients as ada.lovelace@example.com.`},
		{"unsubscribe link", `<a href="https://news.example.com/u/sample-token" style="[^"]*">Unsubscribe</a>`},
		{"postal address", `Northwind Advisory Ltd<br/>1 Example Street, Springfield 01234`},
		{"personalised greeting", `Good morning Ada\.`},
	}
	for _, ck := range checks {
		if !regexp.MustCompile(ck.re).MatchString(html) {
			t.Errorf("%s: no match for %s", ck.what, ck.re)
		}
	}
	if n := strings.Count(html, `<p class="source" style="`); n != 6 {
		t.Errorf("found %d styled Source: lines; want 6", n)
	}
	if strings.Contains(html, "DISPATCHSLOT") {
		t.Error("a sentinel survived into the output")
	}
	empty, err := c.Render(templates.Recipient{Email: "x@example.com", UnsubscribeURL: "https://u.example.com/x"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty.HTML), "Good morning there.") {
		t.Error("default \"there\" not used for a recipient without a name")
	}
}

func TestTextPart(t *testing.T) {
	c := mustCompileExample(t)
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	text := string(r.Text)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if n := len([]rune(l)); n > 78 {
			t.Errorf("line %d is %d columns; want <= 78: %q", i+1, n, l)
		}
	}
	for _, want := range []string{
		"SECURITY CHATTER\n================\nDecember 4, 2024\n",
		"Router maker patches login bypass already exploited in the wild\n---",
		"Source: The Packet Ledger\n<https://packetledger.example.com/2024/12/kestrel-kr-auth-bypass>",
		"Good morning Ada.",
		"“limited, targeted”",
		"Unsubscribe: https://news.example.com/u/sample-token\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q", want)
		}
	}
	if !strings.HasSuffix(text, "Northwind Advisory Ltd\n1 Example Street, Springfield 01234\n") {
		t.Errorf("text part does not end with the postal address:\n%s", text[max(0, len(text)-200):])
	}
}

func TestTextFormatting(t *testing.T) {
	issue := "---\nsubject: s\n---\n" +
		"Intro with a [link](https://example.com/a) and **bold** and `code` and AT&amp;T \\*stars\\*.\n\n" +
		"### Small heading\n\n" +
		"- first item that is long enough to need wrapping because it goes on and on and on\n- second\n\n" +
		"1. one\n2. two\n\n" +
		"> quoted text\n\n" +
		"```\nverbatim  code\n```\n\n" +
		"| A | B |\n|---|---|\n| 1 | 2 |\n\n" +
		"![A chart](https://example.com/c.png)\n"
	c, err := compileFiles(t, issue, minimalLayout, testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	text := string(r.Text)
	for _, want := range []string{
		"Intro with a link <https://example.com/a> and bold and code and AT&T\n*stars*.",
		"Small heading\n\n",
		"- first item that is long enough to need wrapping because it goes on and\n  on and on\n- second\n",
		"1. one\n2. two\n",
		"> quoted text\n",
		"    verbatim  code\n",
		"A | B\n-----\n1 | 2\n",
		"[A chart]",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q; got:\n%s", want, text)
		}
	}
}

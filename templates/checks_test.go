package templates_test

import (
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// TestCompileChecks covers each check that stops an issue from compiling.
func TestCompileChecks(t *testing.T) {
	const front = "---\nsubject: \"Weekly\"\npreheader: \"Inbox line\"\n---\n" // body starts on line 5
	tests := []struct {
		name     string
		issue    string
		layout   string // "" means the embedded default layout
		cfg      func(*templates.Config)
		wantFile string // "issue.md", "layout.html" or "config"
		wantLine int
		wantMsg  []string
	}{
		{
			name:     "unknown placeholder in body",
			issue:    front + "Hello\n\nDear {{ .Nmae }},\n",
			wantFile: "issue.md", wantLine: 7,
			wantMsg: []string{"unknown placeholder .Nmae", "did you mean .Name?"},
		},
		{
			name:     "issue field in body",
			issue:    front + "{{ .Subject }}\n",
			wantFile: "issue.md", wantLine: 5,
			wantMsg: []string{"unknown placeholder .Subject", "the issue body can use"},
		},
		{
			name:     "template syntax error in body",
			issue:    front + "one\ntwo {{ .Name \n",
			wantFile: "issue.md", wantLine: 6,
			wantMsg: []string{"unclosed action"},
		},
		{
			name:     "unknown function in body",
			issue:    front + "{{ .Name | shout }}\n",
			wantFile: "issue.md", wantLine: 5,
			wantMsg: []string{`function "shout" not defined`},
		},
		{
			name:     "attr without a name",
			issue:    front + "Hi\n\nFrom {{ .Attr }}\n",
			wantFile: "issue.md", wantLine: 7,
			wantMsg: []string{".Attr takes one quoted attribute name"},
		},
		{
			name:     "attr with a field as name",
			issue:    front + "From {{ .Attr .Name }}\n",
			wantFile: "issue.md", wantLine: 5,
			wantMsg: []string{".Attr takes one quoted attribute name"},
		},
		{
			name:     "unknown placeholder in subject",
			issue:    "---\nsubject: \"Hi {{ .FristName }}\"\n---\nbody\n",
			wantFile: "issue.md", wantLine: 2,
			wantMsg: []string{"unknown placeholder .FristName", "did you mean .FirstName?"},
		},
		{
			name:     "unknown placeholder in preheader",
			issue:    "---\nsubject: ok\npreheader: \"For {{ .Company }}\"\n---\nbody\n",
			wantFile: "issue.md", wantLine: 3,
			wantMsg: []string{"unknown placeholder .Company"},
		},
		{
			name:     "layout without unsubscribe link",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, `<a href="{{ .UnsubscribeURL }}">Unsubscribe</a>`, "", 1),
			wantFile: "layout.html",
			wantMsg:  []string{"no unsubscribe link"},
		},
		{
			name:     "unsubscribe URL printed but not linked",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, `<a href="{{ .UnsubscribeURL }}">Unsubscribe</a>`, "Unsubscribe: {{ .UnsubscribeURL }}", 1),
			wantFile: "layout.html",
			wantMsg:  []string{"no unsubscribe link"},
		},
		{
			name:     "layout without postal address",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, "{{ .PostalAddress }}", "", 1),
			wantFile: "layout.html",
			wantMsg:  []string{"no postal address"},
		},
		{
			name:     "empty postal address in config",
			issue:    front + "body\n",
			cfg:      func(c *templates.Config) { c.PostalAddress = " " },
			wantFile: "config",
			wantMsg:  []string{"no postal address"},
		},
		{
			name:     "layout syntax error",
			issue:    front + "body\n",
			layout:   "<html>\n<body>\n{{ if .Title }}\n</body></html>\n",
			wantFile: "layout.html", wantLine: 5, // text/template reports the end of the file
			wantMsg: []string{"unexpected EOF"},
		},
		{
			name:     "unknown placeholder in layout",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, "{{ .Subject }}", "{{ .Titel }}", 1),
			wantFile: "layout.html", wantLine: 2,
			wantMsg: []string{"unknown placeholder .Titel", "did you mean .Title?"},
		},
		{
			name:     "recipient data steering the layout",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, "<body>", "<body>\n{{ if .FirstName }}Hi{{ end }}", 1),
			wantFile: "layout.html", wantLine: 4,
			wantMsg: []string{"{{if}} uses recipient placeholder .FirstName"},
		},
		{
			name:     "recipient and issue data in one action",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, "<body>", "<body>\n{{ printf \"%s/%s\" .Name .ListName }}", 1),
			wantFile: "layout.html", wantLine: 4,
			wantMsg: []string{"mixes recipient and issue placeholders"},
		},
		{
			name:     "layout execution error",
			issue:    front + "body\n",
			layout:   strings.Replace(minimalLayout, "{{ .Content }}", "{{ index .PostalLines 7 }}{{ .Content }}", 1),
			wantFile: "layout.html", wantLine: 3,
			wantMsg: []string{"index out of range"},
		},
		{
			name:     "missing layout file",
			issue:    "---\nsubject: s\nlayout: nowhere.html\n---\nbody\n",
			wantFile: "nowhere.html",
			wantMsg:  []string{"read layout"},
		},
		{
			name:     "placeholder lost in an attribute name",
			issue:    front + "text\n\n<p data-{{ .Name }}=\"1\">x</p>\n",
			wantFile: "issue.md", wantLine: 7,
			wantMsg: []string{"placeholder {{ .Name }} disappeared"},
		},
		{
			name:     "html over gmail's clipping limit",
			issue:    front + strings.Repeat(strings.Repeat("word ", 200)+"\n\n", 110),
			layout:   minimalLayout,
			wantFile: "issue.md",
			wantMsg:  []string{"over Gmail's 102 KB clipping limit"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			_, err := compileFiles(t, tc.issue, tc.layout, cfg)
			if err == nil {
				t.Fatalf("Compile succeeded; want an error containing %q", tc.wantMsg)
			}
			checks := checksOf(t, err)
			c, ok := findCheck(checks, tc.wantMsg[0])
			if !ok {
				t.Fatalf("checks = %v; want one containing %q", checks, tc.wantMsg[0])
			}
			for _, m := range tc.wantMsg[1:] {
				if !strings.Contains(c.Message, m) {
					t.Errorf("check %q lacks %q", c.Message, m)
				}
			}
			if c.Severity != templates.SeverityError {
				t.Errorf("check %v has severity %q; want error", c, c.Severity)
			}
			if !strings.HasSuffix(c.File, tc.wantFile) {
				t.Errorf("check %v names file %q; want …%s", c, c.File, tc.wantFile)
			}
			if tc.wantLine != 0 && c.Line != tc.wantLine {
				t.Errorf("check %v is on line %d; want %d", c, c.Line, tc.wantLine)
			}
			if !strings.Contains(err.Error(), c.String()) {
				t.Errorf("error text %q does not include %q", err, c)
			}
		})
	}
}

// TestCompileWarnings covers checks that are reported but do not stop the
// issue.
func TestCompileWarnings(t *testing.T) {
	const front = "---\nsubject: s\n---\n" // body starts on line 4
	tests := []struct {
		name     string
		issue    string
		layout   string
		cfg      func(*templates.Config)
		wantFile string
		wantLine int
		wantMsg  string // "" means no warnings at all
	}{
		{
			name:     "markdown image without alt",
			issue:    front + "Intro\n\n![](https://example.com/chart.png)\n",
			wantFile: "issue.md", wantLine: 6,
			wantMsg: "image https://example.com/chart.png has no alt text",
		},
		{
			name:     "html image without alt",
			issue:    front + "Intro\n\n<div>\n<img src=\"https://example.com/a.png\">\n</div>\n",
			wantFile: "issue.md", wantLine: 7,
			wantMsg: "image https://example.com/a.png has no alt attribute",
		},
		{
			name:     "layout image without alt",
			issue:    front + "Intro\n",
			layout:   strings.Replace(minimalLayout, "<body>", "<body>\n<img src=\"https://example.com/logo.png\" width=\"120\">", 1),
			wantFile: "layout.html", wantLine: 4,
			wantMsg: "image https://example.com/logo.png has no alt attribute",
		},
		{
			name:   "decorative image with empty alt",
			issue:  front + "Intro\n\n<img src=\"https://example.com/rule.png\" alt=\"\">\n",
			layout: strings.Replace(minimalLayout, "<body>", "<body><img src=\"https://example.com/logo.png\" alt=\"Northwind\">", 1),
		},
		{
			name:     "html close to gmail's clipping limit",
			issue:    front + strings.Repeat(strings.Repeat("word ", 200)+"\n\n", 95),
			layout:   minimalLayout,
			wantFile: "issue.md",
			wantMsg:  "close to Gmail's 102 KB clipping limit",
		},
		{
			name:     "no list name",
			issue:    front + "Intro\n",
			cfg:      func(c *templates.Config) { c.ListName = "" },
			wantFile: "config",
			wantMsg:  "no list name",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c, err := compileFiles(t, tc.issue, tc.layout, cfg)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			if tc.wantMsg == "" {
				if len(c.Warnings) != 0 {
					t.Errorf("Warnings = %v; want none", c.Warnings)
				}
				return
			}
			w, ok := findCheck(c.Warnings, tc.wantMsg)
			if !ok {
				t.Fatalf("Warnings = %v; want one containing %q", c.Warnings, tc.wantMsg)
			}
			if w.Severity != templates.SeverityWarning || !strings.HasSuffix(w.File, tc.wantFile) || tc.wantLine != 0 && w.Line != tc.wantLine {
				t.Errorf("warning = %+v; want a warning in …%s line %d", w, tc.wantFile, tc.wantLine)
			}
		})
	}
}

// TestUnsubscribeLinkInBody accepts an issue whose unsubscribe link is in
// the body when the layout has none.
func TestUnsubscribeLinkInBody(t *testing.T) {
	layout := strings.Replace(minimalLayout, `<a href="{{ .UnsubscribeURL }}">Unsubscribe</a>`, "", 1)
	issue := "---\nsubject: s\n---\nHello. [Unsubscribe]({{ .UnsubscribeURL }})\n"
	if _, err := compileFiles(t, issue, layout, testConfig()); err != nil {
		t.Fatalf("Compile: %v", err)
	}
}

// TestCheckErrorListsAll reports every independent problem at once.
func TestCheckErrorListsAll(t *testing.T) {
	issue := "---\nsubject: \"{{ .Nmae }}\"\n---\n{{ .Emial }}\n"
	cfg := testConfig()
	cfg.PostalAddress = ""
	_, err := compileFiles(t, issue, "", cfg)
	checks := checksOf(t, err)
	for _, want := range []string{".Nmae", ".Emial", "postal address"} {
		if _, ok := findCheck(checks, want); !ok {
			t.Errorf("checks = %v; want one about %s", checks, want)
		}
	}
	if c, _ := findCheck(checks, "postal address"); c.Setting != "PostalAddress" || c.File != "config" {
		t.Errorf("postal address check = %+v; want File config, Setting PostalAddress", c)
	}
}

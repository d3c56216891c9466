package templates_test

import (
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// TestDefaultLayoutOutlookComments checks the default layout's Outlook
// wrapper table reaches the recipient as a conditional comment, on the fast
// path, and survives a snapshot round trip.
func TestDefaultLayoutOutlookComments(t *testing.T) {
	c := mustCompileExample(t)
	if !c.FastPath() {
		t.Error("the example issue left the fast path; conditional comments must render as literals")
	}
	restored, err := templates.Restore(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*templates.Compiled{"compiled": c, "restored": restored} {
		r, err := c.Render(templates.SampleRecipient())
		if err != nil {
			t.Fatal(err)
		}
		html := string(r.HTML)
		for _, want := range []string{
			`<!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0" border="0"><tr><td width="600"><![endif]-->`,
			`<!--[if mso]></td></tr></table><![endif]-->`,
		} {
			if strings.Count(html, want) != 1 {
				t.Errorf("%s: rendered HTML has %d of %s; want 1", name, strings.Count(html, want), want)
			}
		}
		if strings.Contains(html, "dispatchRawHTML") || strings.Contains(html, "DISPATCHSLOT") {
			t.Errorf("%s: rendered HTML leaks the conditional comment's plumbing", name)
		}
	}
}

// TestLayoutConditionalComments covers each function, on the fast path and
// through html/template (a body with {{ if }}), and their errors.
func TestLayoutConditionalComments(t *testing.T) {
	layout := `<!DOCTYPE html>
<html><head><title>{{ .Subject }}</title><style>p { color: #333333; } td { padding: 4px; }</style></head>
<body>
{{ mso ` + "`" + `<table role="presentation" width="600"><tr><td>` + "`" + ` }}
<div>{{ .Content }}</div>
{{ msoIf "gte mso 9" ` + "`" + `<p>Word {{ &amp; }} engine</p>` + "`" + ` }}
{{ notMso "<p>not Outlook</p>" }}
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a> {{ .PostalAddress }}</p>
{{ mso "</td></tr></table>" }}
</body></html>
`
	want := []string{
		`<!--[if mso]><table role="presentation" width="600"><tr><td><![endif]-->`,
		`<!--[if gte mso 9]><p>Word {{ &amp; }} engine</p><![endif]-->`,
		`<!--[if !mso]><!--><p>not Outlook</p><!--<![endif]-->`,
		`<!--[if mso]></td></tr></table><![endif]-->`,
	}
	for _, tc := range []struct {
		name string
		body string
		fast bool
	}{
		{"fast path", "Hello {{ .FirstName }}.", true},
		{"template path", "Hello{{ if .FirstName }} {{ .FirstName }}{{ end }}.", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compileFiles(t, "---\nsubject: Hi\n---\n"+tc.body+"\n", layout, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			if c.FastPath() != tc.fast {
				t.Errorf("FastPath() = %v; want %v", c.FastPath(), tc.fast)
			}
			r, err := c.Render(templates.SampleRecipient())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range want {
				if !strings.Contains(string(r.HTML), w) {
					t.Errorf("rendered HTML lacks %s:\n%s", w, r.HTML)
				}
			}
		})
	}

	errs := []struct {
		name, layout, body, want string
	}{
		{"bad condition", `{{ msoIf "mso]>" "<p>x</p>" }}`, "Hi", `condition "mso]>"`},
		{"nested comment", `{{ mso "<!-- x -->" }}`, "Hi", "may not contain comments"},
		{"body cannot print raw HTML", "", `{{ dispatchRawHTML "<b>" }}`, "dispatchRawHTML"},
		{"body cannot use mso", "", `{{ mso "<b>" }}`, "mso"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			lay := minimalLayout
			if tc.layout != "" {
				lay = strings.Replace(minimalLayout, "{{ .Content }}", "{{ .Content }}"+tc.layout, 1)
			}
			_, err := compileFiles(t, "---\nsubject: Hi\n---\n"+tc.body+"\n", lay, testConfig())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

package templates_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dispatchhq/dispatch/templates"
)

func TestAttrsFindsUsesAndFallbacks(t *testing.T) {
	const head = "---\nsubject: Hello\n---\n# Title\n\n"
	tests := []struct {
		name   string
		issue  string
		layout string
		want   []templates.AttrUse
	}{
		{name: "bare", issue: head + `Hello {{ .Attr "company" }}.`,
			want: []templates.AttrUse{{Name: "company", File: "issue.md", Line: 6}}},
		{name: "piped default", issue: head + `Hello {{ .Attr "company" | default "your firm" }}.`,
			want: []templates.AttrUse{{Name: "company", Fallback: true, File: "issue.md", Line: 6}}},
		{name: "default call", issue: head + `Hello {{ default "your firm" (.Attr "company") }}.`,
			want: []templates.AttrUse{{Name: "company", Fallback: true, File: "issue.md", Line: 6}}},
		{name: "or", issue: head + `Hello {{ or (.Attr "company") "there" }}.`,
			want: []templates.AttrUse{{Name: "company", Fallback: true, File: "issue.md", Line: 6}}},
		{name: "guarded by if", issue: head + "Hi.\n\n{{ if .Attr \"vip\" }}Dear {{ .Attr \"vip\" }}{{ end }}",
			want: []templates.AttrUse{{Name: "vip", Fallback: true, File: "issue.md", Line: 8}}},
		{name: "with", issue: head + `{{ with .Attr "role" }}As {{ . }}, {{ end }}read on.`,
			want: []templates.AttrUse{{Name: "role", Fallback: true, File: "issue.md", Line: 6}}},
		{name: "else branch is not guarded", issue: head + `{{ if eq (.Attr "tier") "gold" }}Gold{{ else }}{{ .Attr "tier" }}{{ end }}`,
			want: []templates.AttrUse{{Name: "tier", File: "issue.md", Line: 6}}},
		{name: "one bare use among defaults", issue: head + "{{ .Attr \"company\" | default \"x\" }}\n\nand {{ .Attr \"company\" }}",
			want: []templates.AttrUse{{Name: "company", File: "issue.md", Line: 8}}},
		{name: "subject", issue: "---\nsubject: \"News for {{ .Attr \\\"company\\\" }}\"\n---\nBody.",
			want: []templates.AttrUse{{Name: "company", File: "issue.md", Line: 2}}},
		{name: "layout", issue: head + "Body.", layout: strings.Replace(minimalLayout, "{{ .Content }}",
			"{{ .Content }}\n<p>For {{ .Attr \"team\" | default \"you\" }}</p>", 1),
			want: []templates.AttrUse{{Name: "team", Fallback: true, File: "layout.html", Line: 4}}},
		{name: "none", issue: head + "Hello {{ .FirstName }}.", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compileFiles(t, tc.issue, tc.layout, testConfig())
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			got := c.Attrs()
			for i := range got {
				got[i].File = got[i].File[strings.LastIndexByte(got[i].File, '/')+1:]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Attrs() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAttrsSurviveRestore(t *testing.T) {
	c, err := compileFiles(t, "---\nsubject: Hi\n---\n{{ .Attr \"company\" }} {{ .Attr \"role\" | default \"x\" }}", "", testConfig())
	if err != nil {
		t.Fatal(err)
	}
	r, err := templates.Restore(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	want := []templates.AttrUse{{Name: "company"}, {Name: "role", Fallback: true}}
	if diff := cmp.Diff(want, r.Attrs()); diff != "" {
		t.Errorf("restored Attrs() mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckAttrs(t *testing.T) {
	c, err := compileFiles(t, "---\nsubject: Hi\n---\n# T\n\nFor {{ .Attr \"compnay\" }}, {{ .Attr \"role\" }}, "+
		"{{ .Attr \"team\" | default \"your team\" }}, {{ .Attr \"country\" | default \"abroad\" }}.", "", testConfig())
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]int{"company": 10, "role": 7, "country": 10}
	checks := c.CheckAttrs(templates.Audience{Name: "clients", Recipients: 10, Present: present})
	var got []string
	for _, ch := range checks {
		got = append(got, ch.String())
	}
	want := []string{
		`issue.md:6: error: {{ .Attr "compnay" }} is empty for all 10 recipients of clients. Did you mean "company"? ` +
			`Attributes on the list: company (10), country (10), role (7). Fix the name, or give a default: {{ .Attr "compnay" | default "…" }}`,
		`issue.md:6: warning: {{ .Attr "role" }} is empty for 3 of 10 recipients of clients: they get an empty string there. ` +
			`Give a default ({{ .Attr "role" | default "…" }}) or fill the attribute in. Attributes on the list: company (10), country (10), role (7).`,
		`issue.md:6: warning: {{ .Attr "team" }} is empty for all 10 recipients of clients, so everyone gets its default. ` +
			`Attributes on the list: company (10), country (10), role (7).`,
	}
	for i := range got {
		got[i] = got[i][strings.Index(got[i], "issue.md"):]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckAttrs mismatch (-want +got):\n%s", diff)
	}

	if cs := c.CheckAttrs(templates.Audience{Recipients: 0}); len(cs) != 0 {
		t.Errorf("CheckAttrs with no recipients = %v; want none", cs)
	}
	cs := c.CheckAttrs(templates.Audience{Recipients: 3})
	if len(cs) == 0 || !strings.Contains(cs[0].Message, "No recipient has any attributes") {
		t.Errorf("CheckAttrs with attribute-less recipients = %v; want it said", cs)
	}
}

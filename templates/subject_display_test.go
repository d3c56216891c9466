package templates

import "testing"

func TestSubjectDisplay(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Weekly briefing", "Weekly briefing"},
		{`Briefing for {{ .FirstName | default "you" }}`, "Briefing for [FirstName]"},
		{`{{ .Attr "company" }} weekly, {{ .Name }}`, "[company] weekly, [Name]"},
		{`Hello{{ if .FirstName }} {{ .FirstName }}{{ end }}`, "Hello[…]"},
		{`{{ "x" }} left`, "[…] left"},
		{"Broken {{ .FirstName", "Broken {{ .FirstName"},
	} {
		if got := SubjectDisplay(tc.in); got != tc.want {
			t.Errorf("SubjectDisplay(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

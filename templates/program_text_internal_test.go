package templates

import (
	"bytes"
	"testing"
	texttemplate "text/template"
)

// TestTextProgramIf holds the text program's {{ if .F }} to what
// text/template prints, for each recipient, and keeps the forms it does
// not handle on the template path.
func TestTextProgramIf(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		fast      bool
	}{
		{"if field", "a\n{{ if .ManageURL }}Manage: {{ .ManageURL }}\n{{ end }}b {{ .Name }}", true},
		{"if attr", `{{ if .Attr "company" }}at {{ .Attr "company" }} {{ end }}{{ .Email }}`, true},
		{"if with default inside", `{{ if .Name }}{{ .FirstName | default "you" }}{{ end }}.`, true},
		{"else", "{{ if .Name }}x{{ else }}y{{ end }}", false},
		{"nested", "{{ if .Name }}{{ if .Email }}x{{ end }}{{ end }}", false},
		{"not a field", `{{ if eq .Name "x" }}x{{ end }}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl := texttemplate.Must(texttemplate.New("t").Funcs(texttemplate.FuncMap(compiledFuncs())).Parse(tc.src))
			prog, ok := buildProgram(tmpl.Tree.Root, false)
			if ok != tc.fast {
				t.Fatalf("buildProgram(%q) ok = %v; want %v", tc.src, ok, tc.fast)
			}
			if !ok {
				return
			}
			for _, r := range []Recipient{
				{},
				{Name: "Ada Lovelace", Email: "ada@example.com", ManageURL: "https://x/m/t", Attributes: map[string]any{"company": "ACME"}},
				{Email: "b@example.com", Attributes: map[string]any{"company": ""}},
			} {
				var want bytes.Buffer
				if err := tmpl.Execute(&want, r); err != nil {
					t.Fatal(err)
				}
				if got := string(prog.appendTo(nil, &r)); got != want.String() {
					t.Errorf("program for %+v = %q; text/template prints %q", r, got, want.String())
				}
			}
		})
	}
}

package templates

import (
	"bytes"
	htmltemplate "html/template"
	"io"
	"testing"
)

// escapeInputs are values that exercise every branch of the escapers.
var escapeInputs = []string{
	"", "plain", "Ada Lovelace", `<script>alert("x")</script>`, `"quote"`, `'single'`,
	"a&b", "a+b", "x\x00y", "ü ñ 漢字 😀", "\xff\xfe invalid", "javascript:alert(1)",
	"JavaScript:alert(1)", " javascript:x", "mailto:a@example.com", "https://example.com/a b?c=d&e=f#g",
	"/relative/path", "%41%zz%", "%4", "%", "data:text/html,x", "http://x/%E2%82%AC",
	"tab\there", "new\nline", "{{ .Name }}", "ZgotmplZ", "[]!#$&*+,/:;=?@'\"()<>`^{|}\\",
	"a:b/c", "a/b:c", "HTTPS://EXAMPLE.COM", "\u2028\ufdd0\ufffe",
}

// escapeContexts place a placeholder in each context html/template
// distinguishes. fast says whether the program path must handle it.
var escapeContexts = []struct {
	name string
	src  string
	fast bool
}{
	{"text", `<p>{{ .Name }}</p>`, true},
	{"double-quoted attribute", `<p title="{{ .Name }}">x</p>`, true},
	{"single-quoted attribute", `<p title='{{ .Name }}'>x</p>`, true},
	{"title rcdata", `<title>{{ .Name }}</title>`, true},
	{"textarea rcdata", `<textarea>{{ .Name }}</textarea>`, true},
	{"href", `<a href="{{ .Name }}">x</a>`, true},
	{"img src", `<img src="{{ .Name }}" alt="">`, true},
	{"url path", `<a href="https://example.com/{{ .Name }}/x">x</a>`, true},
	{"url query", `<a href="https://example.com/?q={{ .Name }}&r=1">x</a>`, true},
	{"url fragment", `<a href="#{{ .Name }}">x</a>`, true},
	{"default in text", `<p>{{ .FirstName | default "there & <you>" }}</p>`, true},
	{"default prefix form", `<a title="{{ default "x\"y" .Name }}">x</a>`, true},
	{"attr in text", `<p>{{ .Attr "company" }}</p>`, true},
	{"attr with default in url", `<a href="https://example.com/c/{{ .Attr "company" | default "none" }}">x</a>`, true},
	{"dollar field", `<p>{{ $.Email }}</p>`, true},
	{"unquoted attribute", `<p title={{ .Name }}>x</p>`, false},
	{"script", `<script>var n = {{ .Name }};</script>`, false},
	{"style attribute", `<p style="color: {{ .Name }}">x</p>`, false},
	{"printf", `<p>{{ printf "%s!" .Name }}</p>`, false},
	{"if", `<p>{{ if .Name }}{{ .Name }}{{ end }}</p>`, false},
}

// TestProgramMatchesHTMLTemplate renders each context through html/template
// and through the program built from its escaped tree, for every input.
func TestProgramMatchesHTMLTemplate(t *testing.T) {
	for _, ctx := range escapeContexts {
		t.Run(ctx.name, func(t *testing.T) {
			tmpl, prog := compileContext(t, ctx.src)
			if (prog != nil) != ctx.fast {
				t.Fatalf("buildProgram(%s) ok = %v; want %v", ctx.src, prog != nil, ctx.fast)
			}
			if prog == nil {
				return
			}
			for _, in := range escapeInputs {
				compareRender(t, tmpl, prog, in)
			}
		})
	}
}

func compileContext(t testing.TB, src string) (*htmltemplate.Template, *program) {
	t.Helper()
	tmpl, err := htmltemplate.New("t").Funcs(funcs()).Parse(src)
	if err != nil {
		t.Fatalf("parse %s: %v", src, err)
	}
	if err := tmpl.Execute(io.Discard, Recipient{}); err != nil {
		t.Fatalf("execute %s: %v", src, err)
	}
	prog, ok := buildProgram(tmpl.Tree.Root, true)
	if !ok {
		return tmpl, nil
	}
	return tmpl, prog
}

func compareRender(t testing.TB, tmpl *htmltemplate.Template, prog *program, in string) {
	t.Helper()
	r := Recipient{Name: in, Email: in, Attributes: map[string]any{"company": in}}
	var want bytes.Buffer
	if err := tmpl.Execute(&want, r); err != nil {
		t.Fatalf("execute: %v", err)
	}
	if got := prog.appendTo(nil, &r); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("input %q:\nprogram:       %s\nhtml/template: %s", in, got, want.Bytes())
	}
}

// FuzzProgramMatchesHTMLTemplate extends the comparison to arbitrary input:
// go test ./templates -fuzz FuzzProgram
func FuzzProgramMatchesHTMLTemplate(f *testing.F) {
	for _, in := range escapeInputs {
		f.Add(in)
	}
	type compiled struct {
		tmpl *htmltemplate.Template
		prog *program
	}
	var all []compiled
	for _, ctx := range escapeContexts {
		if ctx.fast {
			tmpl, prog := compileContext(f, ctx.src)
			all = append(all, compiled{tmpl, prog})
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, c := range all {
			compareRender(t, c.tmpl, c.prog, in)
		}
	})
}

// TestExampleFastPathMatchesTemplates compares the compiled example issue's
// programs with its templates for a range of recipients.
func TestExampleFastPathMatchesTemplates(t *testing.T) {
	is, err := LoadIssue("../examples/issue.md")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compile(is, Config{PostalAddress: "1 Example St", ListName: "L", WebVersion: true})
	if err != nil {
		t.Fatal(err)
	}
	if !c.FastPath() {
		t.Fatal("example issue does not use the fast path")
	}
	rs := verifyRecipients()
	for _, in := range escapeInputs {
		rs = append(rs, Recipient{Name: in, Email: in, UnsubscribeURL: in, WebURL: in})
	}
	for _, p := range []*part{&c.html, &c.text, &c.subject} {
		slow := *p
		slow.prog = nil
		for _, r := range rs {
			got := p.prog.appendTo(nil, &r)
			want, err := slow.appendTo(nil, &r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("recipient %+v: program and template differ", r)
			}
		}
	}
}

package templates_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// escapingLayout prints recipient data in text, attributes and URLs.
const escapingLayout = `<!DOCTYPE html>
<html><head><title>{{ .Subject }}</title><style>.footer { color: #333333; }</style></head>
<body>
<p id="text">{{ .Name }}</p>
<p id="attr" title="{{ .Name }}">x</p>
<a href="{{ .WebURL }}" id="web">web</a>
{{ .Content }}
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a> {{ .PostalAddress }}</p>
</body></html>
`

func TestRenderEscapesRecipientData(t *testing.T) {
	issue := "---\nsubject: \"For {{ .Name }}\"\n---\nBody {{ .Name }} [c](https://example.com/?co={{ .Attr \"company\" }})\n"
	c, err := compileFiles(t, issue, escapingLayout, testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		name string
		r    templates.Recipient
		want []string
		not  []string
	}{
		{
			name: "script tag",
			r: templates.Recipient{
				Name:           `<script>alert(1)</script>`,
				WebURL:         "javascript:alert(1)",
				UnsubscribeURL: "https://example.com/u/1",
				Attributes:     map[string]any{"company": "A&B <Ltd>"},
			},
			want: []string{
				`<p id="text">&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
				`<p id="attr" title="&lt;script&gt;alert(1)&lt;/script&gt;">`,
				`<a href="#ZgotmplZ" id="web">`,
				`Body &lt;script&gt;alert(1)&lt;/script&gt;`,
				`href="https://example.com/?co=A%26B%20%3cLtd%3e"`,
				`<title>For &lt;script&gt;alert(1)&lt;/script&gt;</title>`,
			},
			not: []string{"<script>"},
		},
		{
			name: "quotes",
			r: templates.Recipient{
				Name:           `"quote" 'single'`,
				WebURL:         `https://example.com/a"b`,
				UnsubscribeURL: "https://example.com/u/1",
			},
			want: []string{
				`<p id="text">&#34;quote&#34; &#39;single&#39;</p>`,
				`<p id="attr" title="&#34;quote&#34; &#39;single&#39;">`,
				`<a href="https://example.com/a%22b" id="web">`,
			},
			not: []string{`title=""quote`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := c.Render(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			html := string(r.HTML)
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("rendered HTML lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(html, n) {
					t.Errorf("rendered HTML contains %s", n)
				}
			}
			// The text part and the subject are not HTML: no escaping.
			if !strings.Contains(string(r.Text), "Body "+tc.r.Name) {
				t.Errorf("text part lacks the raw name %q", tc.r.Name)
			}
			if r.Subject != "For "+tc.r.Name {
				t.Errorf("Subject = %q; want %q", r.Subject, "For "+tc.r.Name)
			}
		})
	}
}

func TestRenderSubject(t *testing.T) {
	issue := "---\nsubject: \"{{ .FirstName | default \\\"Friends\\\" }}, your briefing {{ .Email }}\"\n---\nbody\n"
	c, err := compileFiles(t, issue, "", testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	tests := []struct {
		name, email string
		want        string
	}{
		{"Ada Lovelace", "a@example.com", "Ada, your briefing a@example.com"},
		{"", "", "Friends, your briefing "},
		{"Eve\r\nBcc: x@example.com", "e@example.com\r\nBcc: y@example.com", "Eve, your briefing e@example.com Bcc: y@example.com"},
	}
	for _, tc := range tests {
		r, err := c.Render(templates.Recipient{Name: tc.name, Email: tc.email})
		if err != nil {
			t.Fatal(err)
		}
		if r.Subject != tc.want {
			t.Errorf("Render(Name %q, Email %q).Subject = %q; want %q", tc.name, tc.email, r.Subject, tc.want)
		}
	}
}

// TestRenderControlFlow uses if/else in the body, which the fast path does
// not handle; html/template renders it instead.
func TestRenderControlFlow(t *testing.T) {
	issue := "---\nsubject: s\n---\n{{ if .FirstName }}Dear {{ .FirstName }},{{ else }}Dear reader,{{ end }}\n\nText.\n"
	c, err := compileFiles(t, issue, "", testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if c.FastPath() {
		t.Error("FastPath() = true for a body with {{if}}")
	}
	for name, want := range map[string]string{"Grace Hopper": "Dear Grace,", "": "Dear reader,"} {
		r, err := c.Render(templates.Recipient{Name: name, UnsubscribeURL: "https://example.com/u"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(r.HTML), want) || !strings.Contains(string(r.Text), want) {
			t.Errorf("Render(%q) lacks %q", name, want)
		}
	}
}

func TestFirstName(t *testing.T) {
	tests := []struct{ name, want string }{
		{"Ada Lovelace", "Ada"},
		{"  Grace   Brewster Hopper ", "Grace"},
		{"Lovelace, Ada", "Ada"},
		{"Cher", "Cher"},
		{"", ""},
		{"Smith,", "Smith,"},
	}
	for _, tc := range tests {
		if got := (templates.Recipient{Name: tc.name}).FirstName(); got != tc.want {
			t.Errorf("FirstName(%q) = %q; want %q", tc.name, got, tc.want)
		}
	}
}

func TestAttr(t *testing.T) {
	r := templates.Recipient{Attributes: map[string]any{
		"company": "Acme", "seats": float64(12), "ratio": 0.5, "vip": true,
		"none": nil, "tags": []any{"a", "b"},
	}}
	tests := []struct{ key, want string }{
		{"company", "Acme"}, {"seats", "12"}, {"ratio", "0.5"}, {"vip", "true"},
		{"none", ""}, {"missing", ""}, {"tags", `["a","b"]`},
	}
	for _, tc := range tests {
		if got := r.Attr(tc.key); got != tc.want {
			t.Errorf("Attr(%q) = %q; want %q", tc.key, got, tc.want)
		}
	}
}

// TestRenderConcurrent renders from many goroutines; run with -race.
func TestRenderConcurrent(t *testing.T) {
	c := mustCompileExample(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			var out templates.Rendered
			for i := range 50 {
				name := fmt.Sprintf("Reader%d-%d Example", g, i)
				if err := c.RenderTo(&out, templates.Recipient{Name: name, UnsubscribeURL: "https://example.com/u"}); err != nil {
					errs <- err
					return
				}
				want := fmt.Sprintf("Good morning Reader%d-%d.", g, i)
				if !strings.Contains(string(out.HTML), want) || !strings.Contains(string(out.Text), want) {
					errs <- fmt.Errorf("render for %s lacks %q", name, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRenderToAllocations pins the allocation-free steady state of RenderTo
// for an issue with a fixed subject. (Speed is measured in benchmarks.)
func TestRenderToAllocations(t *testing.T) {
	c := mustCompileExample(t)
	r := templates.SampleRecipient()
	var out templates.Rendered
	if err := c.RenderTo(&out, r); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		_ = c.RenderTo(&out, r)
	})
	if allocs != 0 {
		t.Errorf("RenderTo allocates %.0f times per call; want 0", allocs)
	}
}

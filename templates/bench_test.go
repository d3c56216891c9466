package templates_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// BenchmarkCompile measures the once-per-issue work: Markdown, layout,
// CSS inlining, text part and checks, for the example issue.
func BenchmarkCompile(b *testing.B) {
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := templates.Compile(is, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender measures personalising the compiled example issue for one
// recipient, returning fresh buffers (HTML, text and subject).
func BenchmarkRender(b *testing.B) {
	c := mustCompileExample(b)
	r := templates.SampleRecipient()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTo is Render into reused buffers, as a send worker does.
func BenchmarkRenderTo(b *testing.B) {
	c := mustCompileExample(b)
	r := templates.SampleRecipient()
	var out templates.Rendered
	b.ReportAllocs()
	for b.Loop() {
		if err := c.RenderTo(&out, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTemplate renders an issue whose body uses {{if}}, which
// runs through html/template: the cost the fast path avoids.
func BenchmarkRenderTemplate(b *testing.B) {
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		b.Fatal(err)
	}
	is.Body += "\n{{ if .FirstName }}{{ end }}\n"
	c, err := templates.Compile(is, testConfig())
	if err != nil {
		b.Fatal(err)
	}
	if c.FastPath() {
		b.Fatal("expected the template path")
	}
	r := templates.SampleRecipient()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Render(r); err != nil {
			b.Fatal(err)
		}
	}
}

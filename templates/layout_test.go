package templates_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// TestCustomLayoutExample compiles the example issue with the sample custom
// layout in examples/, the one LAYOUT.md points to.
func TestCustomLayoutExample(t *testing.T) {
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Layout = "../examples/layout-custom.html"
	c, err := templates.Compile(is, cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if len(c.Warnings) != 0 || !c.FastPath() {
		t.Errorf("Warnings = %v, FastPath = %v; want none and true", c.Warnings, c.FastPath())
	}
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Security Chatter clients · December 4, 2024",
		"Prepared for Analytical Engines Ltd.",
		`<a href="https://news.example.com/u/sample-token" style="color:#777777">Unsubscribe</a>`,
		"Router maker patches login bypass",
	} {
		if !bytes.Contains(r.HTML, []byte(want)) {
			t.Errorf("rendered HTML lacks %q", want)
		}
	}
	r, err = c.Render(templates.Recipient{UnsubscribeURL: "https://example.com/u"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(r.HTML), "Prepared for our clients.") {
		t.Error("default for a missing company attribute not used")
	}
}

// TestFrontMatterLayout resolves layout: relative to the issue file, and
// prefers it over Config.Layout.
func TestFrontMatterLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "issues")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	own := strings.Replace(minimalLayout, "<body>", "<body><p>OWN LAYOUT</p>", 1)
	if err := os.WriteFile(filepath.Join(dir, "own.html"), []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "issue.md")
	if err := os.WriteFile(path, []byte("---\nsubject: s\nlayout: own.html\n---\nText.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	is, err := templates.LoadIssue(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Layout = "../examples/layout-custom.html"
	c, err := templates.Compile(is, cfg)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	r, err := c.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(r.HTML, []byte("OWN LAYOUT")) {
		t.Error("the front matter layout was not used")
	}
}

func TestDefaultLayoutSource(t *testing.T) {
	src := templates.DefaultLayout()
	for _, want := range []string{"{{ .Content }}", `href="{{ .UnsubscribeURL }}"`, ".PostalLines", "prefers-color-scheme"} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("DefaultLayout() lacks %s", want)
		}
	}
}

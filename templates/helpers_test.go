package templates_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// testConfig is the configuration the example issue is compiled with.
func testConfig() templates.Config {
	return templates.Config{
		PostalAddress: "Northwind Advisory Ltd\n1 Example Street, Springfield 01234",
		ListName:      "Security Chatter clients",
		FromName:      "Northwind Advisory",
		From:          "briefings@example.com",
		WebVersion:    true,
	}
}

// minimalLayout satisfies every layout check and nothing more.
const minimalLayout = `<!DOCTYPE html>
<html><head><title>{{ .Subject }}</title><style>p { color: #333333; }</style></head>
<body>{{ .Content }}
<p><a href="{{ .UnsubscribeURL }}">Unsubscribe</a> {{ .PostalAddress }}</p>
</body></html>
`

// compileFiles writes an issue (and, if given, a layout it uses) to a
// temporary directory and compiles it.
func compileFiles(t *testing.T, issue, layout string, cfg templates.Config) (*templates.Compiled, error) {
	t.Helper()
	dir := t.TempDir()
	if layout != "" {
		cfg.Layout = filepath.Join(dir, "layout.html")
		if err := os.WriteFile(cfg.Layout, []byte(layout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "issue.md")
	if err := os.WriteFile(path, []byte(issue), 0o644); err != nil {
		t.Fatal(err)
	}
	is, err := templates.LoadIssue(path)
	if err != nil {
		return nil, err
	}
	return templates.Compile(is, cfg)
}

func mustCompileExample(t testing.TB) *templates.Compiled {
	t.Helper()
	is, err := templates.LoadIssue("../examples/issue.md")
	if err != nil {
		t.Fatalf("LoadIssue: %v", err)
	}
	c, err := templates.Compile(is, testConfig())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return c
}

// checksOf returns the checks of a compile error, failing the test if err
// is not a *CheckError.
func checksOf(t *testing.T, err error) []templates.Check {
	t.Helper()
	var ce *templates.CheckError
	if !errors.As(err, &ce) {
		t.Fatalf("error = %v; want *CheckError", err)
	}
	return ce.Checks
}

// findCheck returns the first check whose message contains substr.
func findCheck(checks []templates.Check, substr string) (templates.Check, bool) {
	for _, c := range checks {
		if strings.Contains(c.Message, substr) {
			return c, true
		}
	}
	return templates.Check{}, false
}

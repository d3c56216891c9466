package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIssue writes a small issue whose body is body.
func writeIssue(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	src := "---\nsubject: Weekly briefing\nid: " + strings.TrimSuffix(name, ".md") + "\n---\n# Briefing\n\n" + body + "\n"
	if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEndToEndMisspeltAttributeIsRefused: an attribute nobody on the list
// has is refused by send and send --dry-run, naming the attribute, its
// line and the nearest real name; nothing is sent and no campaign created.
func TestEndToEndMisspeltAttributeIsRefused(t *testing.T) {
	e := newSendEnv(t, 4, "")
	typo := writeIssue(t, e.dir, "typo.md", "Prepared for {{ .Attr \"compnay\" }}.")
	for _, args := range [][]string{
		{"send", typo, "--list", "clients", "--dry-run"},
		{"send", typo, "--list", "clients", "--yes"},
	} {
		r := dispatch(t, e.dir, args...)
		for _, want := range []string{
			"typo.md:7: error: {{ .Attr \"compnay\" }} is empty for all 4 recipients of clients",
			`Did you mean "company"?`,
			"Attributes on the list: company (4)",
			`{{ .Attr "compnay" | default "…" }}`,
			"refusing to send to clients: 1 attribute would be empty for every recipient",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args[2:], want, r.stderr)
			}
		}
		if r.code != 1 || strings.Contains(r.stdout, "Dry run") {
			t.Errorf("%v: exit %d, stdout %q; want 1 and no dry-run summary", args[2:], r.code, r.stdout)
		}
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Errorf("%d messages sent; want none", n)
	}
	// A test copy still goes, and says the real send would be refused.
	r := dispatch(t, e.dir, "send", typo, "--list", "clients", "--to", "editor@example.org")
	if r.code != 0 || !strings.Contains(r.stderr, `{{ .Attr "compnay" }} is empty for all 4 recipients of clients`) ||
		!strings.Contains(r.stderr, "(send refuses this)") || len(e.srv.Messages()) != 1 {
		t.Errorf("test copy: exit %d, %d messages, stderr:\n%s\nwant 0, 1 message and the advisory", r.code, len(e.srv.Messages()), r.stderr)
	}
	if cs := campaignsJSON(t, e.dir); len(cs) != 0 {
		t.Errorf("campaigns = %+v; want none created", cs)
	}

	// render and preview have no list to refuse for; render still says it.
	r = dispatch(t, e.dir, "render", typo, "--list", "clients", "--text", "-")
	if r.code != 0 || !strings.Contains(r.stderr, `warning: {{ .Attr "compnay" }} is empty for all 4 recipients`) ||
		!strings.Contains(r.stderr, "(send refuses this)") || !strings.Contains(r.stderr, "1 warning") {
		t.Errorf("render --list clients: exit %d, stderr:\n%s\nwant 0 and the advisory warning", r.code, r.stderr)
	}
	fresh := t.TempDir()
	os.WriteFile(filepath.Join(fresh, "dispatch.yaml"), []byte("sender:\n  postal_address: \"1 Test Street\"\n"), 0o600)
	r = dispatch(t, fresh, "render", typo, "--text", "-")
	if r.code != 0 || !strings.Contains(r.stderr, `the issue prints the attributes "compnay" (no default)`) {
		t.Errorf("render without a database: exit %d, stderr:\n%s\nwant 0 and a note naming the attribute", r.code, r.stderr)
	}

	// A default makes it a deliberate choice: a warning, and the send goes.
	withDefault := writeIssue(t, e.dir, "default.md", "Prepared for {{ .Attr \"compnay\" | default \"your firm\" }}.")
	r = dispatch(t, e.dir, "send", withDefault, "--list", "clients", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, "so everyone gets its default") || !strings.Contains(r.stdout, "Dry run") {
		t.Errorf("dry run with a default: exit %d, stdout %q, stderr %q; want 0 with a warning", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, e.dir, "send", withDefault, "--list", "clients", "--yes")
	if r.code != 0 {
		t.Fatalf("send with a default: exit %d: %s", r.code, r.stderr)
	}
	msgs := e.srv.Messages()[1:] // after the test copy
	if len(msgs) != 4 {
		t.Fatalf("%d campaign messages; want 4", len(msgs))
	}
	if _, text, _ := mailParts(t, msgs[0].Data); !strings.Contains(text, "Prepared for your firm.") {
		t.Errorf("text part lacks the default:\n%s", text)
	}
}

// TestEndToEndAttributeMissingForSomeIsWarned: recipients without the
// attribute are counted and the send goes ahead.
func TestEndToEndAttributeMissingForSomeIsWarned(t *testing.T) {
	e := newSendEnv(t, 3, "")
	if r := dispatch(t, e.dir, "subscribers", "add", "nocompany@example.com", "--list", "clients"); r.code != 0 {
		t.Fatalf("add: %s", r.stderr)
	}
	issue := writeIssue(t, e.dir, "partial.md", "Prepared for {{ .Attr \"company\" }}.")
	want := `partial.md:7: warning: {{ .Attr "company" }} is empty for 1 of 4 recipients of clients: they get an empty string there.`
	r := dispatch(t, e.dir, "send", issue, "--list", "clients", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "Attributes on the list: company (3)") {
		t.Errorf("dry run: exit %d, stderr:\n%s\nwant 0 and %q", r.code, r.stderr, want)
	}
	r = dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes")
	if r.code != 0 || !strings.Contains(r.stderr, want) || len(e.srv.Messages()) != 4 {
		t.Errorf("send: exit %d, %d messages, stderr:\n%s\nwant 0, 4 messages and the warning", r.code, len(e.srv.Messages()), r.stderr)
	}
}

package templates_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

func TestSnapshotRoundTrip(t *testing.T) {
	c := mustCompileExample(t)
	data, err := json.Marshal(c.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var s templates.Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	restored, err := templates.Restore(s)
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if !restored.FastPath() {
		t.Error("restored issue lost the fast path")
	}
	if restored.ID != c.ID || restored.From != c.From || !restored.Date.Equal(c.Date) || restored.Subject != c.Subject {
		t.Errorf("restored = %+v; want fields of %+v", restored, c)
	}
	for _, r := range []templates.Recipient{templates.SampleRecipient(), {Name: `<b>"x"</b>`, UnsubscribeURL: "https://example.com/u"}} {
		want, err := c.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := restored.Render(r)
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != want.Subject || !bytes.Equal(got.HTML, want.HTML) || !bytes.Equal(got.Text, want.Text) {
			t.Errorf("restored render for %q differs from the original", r.Name)
		}
	}
}

// TestSnapshotOutlivesSourceChanges is the reason snapshots exist: a
// campaign resumed after the editor changed the file sends what it started.
func TestSnapshotOutlivesSourceChanges(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issue.md")
	if err := os.WriteFile(path, []byte("---\nsubject: First\n---\nOriginal text.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	is, err := templates.LoadIssue(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := templates.Compile(is, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	s := c.Snapshot()
	if err := os.WriteFile(path, []byte("---\nsubject: Second\n---\nEdited text.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	restored, err := templates.Restore(s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := restored.Render(templates.SampleRecipient())
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "First" || !strings.Contains(string(r.HTML), "Original text.") || strings.Contains(string(r.Text), "Edited") {
		t.Errorf("restored render = subject %q; want the original issue", r.Subject)
	}
}

func TestRestoreRejectsDamage(t *testing.T) {
	good := mustCompileExample(t).Snapshot()
	tests := []struct {
		name   string
		change func(*templates.Snapshot)
		want   string
	}{
		{"altered html", func(s *templates.Snapshot) { s.HTML = strings.Replace(s.HTML, "Unsubscribe", "Stay", 1) }, "digest mismatch"},
		{"altered subject", func(s *templates.Snapshot) { s.Subject += "!" }, "digest mismatch"},
		{"unknown version", func(s *templates.Snapshot) { s.Version = 99 }, "snapshot version 99"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			tc.change(&s)
			if _, err := templates.Restore(s); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Restore error = %v; want one containing %q", err, tc.want)
			}
		})
	}
}

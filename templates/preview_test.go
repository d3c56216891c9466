package templates_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/templates"
)

// writeFile writes content and moves the modification time forward, so the
// change is seen even on file systems with coarse timestamps.
func writeFile(t *testing.T, path, content string, bump int) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	mt := time.Now().Add(time.Duration(bump) * time.Second)
	if err := os.Chtimes(path, mt, mt); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, srv *httptest.Server, path string) (int, string) {
	t.Helper()
	resp, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func expect(t *testing.T, srv *httptest.Server, path string, wantCode int, want ...string) string {
	t.Helper()
	code, body := get(t, srv, path)
	if code != wantCode {
		t.Errorf("GET %s = %d; want %d\n%s", path, code, wantCode, body)
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("GET %s lacks %q", path, w)
		}
	}
	return body
}

func TestPreview(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "issue.md")
	writeFile(t, path, "---\nsubject: \"Hello {{ .FirstName }}\"\n---\n# Weekly\n\nOriginal story.\n", 0)
	p, err := templates.NewPreview(path, testConfig(), templates.SampleRecipient(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewPreview: %v", err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()

	expect(t, srv, "/", http.StatusOK, "Hello Ada", `href="/html"`, `href="/text"`, `href="/phone"`, "No problems found.", `fetch("/version"`)
	expect(t, srv, "/html", http.StatusOK, "Original story.", `fetch("/version"`)
	if raw := expect(t, srv, "/html?raw=1", http.StatusOK, "Original story."); strings.Contains(raw, "<script") {
		t.Error("/html?raw=1 contains a script; want the HTML as sent")
	}
	expect(t, srv, "/text", http.StatusOK, "Subject: Hello Ada\n", "WEEKLY\n======", "Original story.")
	expect(t, srv, "/phone", http.StatusOK, `width="375"`, `src="/html?raw=1"`)
	expect(t, srv, "/version", http.StatusOK, "1")

	// An edit is picked up on the next request.
	writeFile(t, path, "---\nsubject: \"Hello {{ .FirstName }}\"\n---\n# Weekly\n\nEdited story.\n", 2)
	expect(t, srv, "/version", http.StatusOK, "2")
	expect(t, srv, "/html", http.StatusOK, "Edited story.")
	expect(t, srv, "/text", http.StatusOK, "Edited story.")

	// A broken issue shows its checks instead of the email.
	writeFile(t, path, "---\nsubject: s\n---\nDear {{ .Nmae }}\n", 4)
	expect(t, srv, "/", http.StatusOK, "issue.md:4: error: unknown placeholder .Nmae")
	expect(t, srv, "/html", http.StatusInternalServerError, "does not compile", "unknown placeholder .Nmae")
	expect(t, srv, "/text", http.StatusInternalServerError, "unknown placeholder .Nmae")
	if cs := p.Checks(); len(cs) != 1 || cs[0].Line != 4 {
		t.Errorf("Checks() = %v; want the one error on line 4", cs)
	}

	// Warnings are listed with a working email.
	writeFile(t, path, "---\nsubject: s\n---\nFixed.\n\n![](https://example.com/x.png)\n", 6)
	expect(t, srv, "/", http.StatusOK, "warning: image https://example.com/x.png has no alt text")
	expect(t, srv, "/html", http.StatusOK, "Fixed.")

	expect(t, srv, "/nope", http.StatusNotFound)
	resp, err := srv.Client().Post(srv.URL+"/", "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST / = %d; want 405", resp.StatusCode)
	}
}

// TestPreviewFollowsLayout reloads when the custom layout changes.
func TestPreviewFollowsLayout(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout.html")
	writeFile(t, layout, strings.Replace(minimalLayout, "<body>", "<body><p>LAYOUT ONE</p>", 1), 0)
	path := filepath.Join(dir, "issue.md")
	writeFile(t, path, "---\nsubject: s\nlayout: layout.html\n---\nText.\n", 0)
	p, err := templates.NewPreview(path, testConfig(), templates.SampleRecipient(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	expect(t, srv, "/html", http.StatusOK, "LAYOUT ONE")
	writeFile(t, layout, strings.Replace(minimalLayout, "<body>", "<body><p>LAYOUT TWO</p>", 1), 2)
	expect(t, srv, "/html", http.StatusOK, "LAYOUT TWO")
}

func TestNewPreviewMissingFile(t *testing.T) {
	if _, err := templates.NewPreview(filepath.Join(t.TempDir(), "none.md"), testConfig(), templates.SampleRecipient(), nil); err == nil {
		t.Error("NewPreview(missing file) succeeded; want an error")
	}
}

// TestPreviewChecksAttributesAgainstAudience: with an audience, the checks
// page names an attribute nobody has, as a warning, and follows edits.
func TestPreviewChecksAttributesAgainstAudience(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issue.md")
	writeFile(t, path, "---\nsubject: Hi\n---\nFor {{ .Attr \"compnay\" }}.\n", 0)
	p, err := templates.NewPreview(path, testConfig(), templates.SampleRecipient(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p.SetAudience(templates.Audience{Name: "clients", Recipients: 2, Present: map[string]int{"company": 2}})
	srv := httptest.NewServer(p)
	defer srv.Close()
	code, body := get(t, srv, "/")
	if code != http.StatusOK || !strings.Contains(body, `Did you mean &#34;company&#34;?`) || !strings.Contains(body, "(send refuses this)") {
		t.Errorf("GET / = %d; want 200 and the advisory attribute warning in\n%s", code, body)
	}
	writeFile(t, path, "---\nsubject: Hi\n---\nFor {{ .Attr \"company\" }}.\n", 2)
	for _, c := range p.Checks() {
		if strings.Contains(c.Message, "Attr") {
			t.Errorf("after fixing the name, check %q remains", c)
		}
	}
}

package templates_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/templates"
)

// trackIssue has content links under two headings (one URL twice), and
// every kind of link tracking must leave alone.
const trackIssue = `---
subject: Weekly
---
Intro [home](https://example.com/home?a=1&b=2).

## First story

Read [it](https://news.example.com/one) or [call](tel:+15551234) or
[mail](mailto:desk@example.com) or [see above](#top) or [manage]({{ .WebURL }}).

## Second *story*

Again [it](https://news.example.com/one) and [two](http://two.example.org/x).
`

func trackURL(n int) string { return fmt.Sprintf("https://t.example/l/7/%d.sig", n) }

func TestTrackLinksRewritesEachContentLinkOnce(t *testing.T) {
	c, err := compileFiles(t, trackIssue, minimalLayout, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc, links, err := c.TrackLinks(templates.LinkTracking{URL: trackURL})
	if err != nil {
		t.Fatal(err)
	}
	want := []templates.Link{
		{N: 1, URL: "https://example.com/home?a=1&b=2", Section: ""},
		{N: 2, URL: "https://news.example.com/one", Section: "First story"},
		{N: 3, URL: "https://news.example.com/one", Section: "Second story"},
		{N: 4, URL: "http://two.example.org/x", Section: "Second story"},
	}
	if fmt.Sprint(links) != fmt.Sprint(want) {
		t.Fatalf("links = %+v\nwant %+v", links, want)
	}
	r := templates.SampleRecipient()
	out, err := tc.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	html, text := string(out.HTML), string(out.Text)
	for _, l := range want {
		if n := strings.Count(html, `href="`+trackURL(l.N)+`"`); n != 1 {
			t.Errorf("html has %d hrefs to tracked link %d, want 1", n, l.N)
		}
	}
	for _, kept := range []string{`href="tel:+15551234"`, `href="mailto:desk@example.com"`, `href="#top"`,
		`href="` + r.WebURL + `"`, `href="` + r.UnsubscribeURL + `"`} {
		if !strings.Contains(html, kept) {
			t.Errorf("html lost %s", kept)
		}
	}
	for _, gone := range []string{"https://news.example.com/one", "http://two.example.org/x", "https://example.com/home"} {
		if strings.Contains(html, gone) || strings.Contains(text, gone) {
			t.Errorf("%s is still in the message", gone)
		}
	}
	// The text part: the same tracked links, the k-th mention of a URL
	// the k-th HTML link to it; per-recipient links untouched.
	got := regexp.MustCompile(`https://t\.example/l/7/\d+\.sig`).FindAllString(text, -1)
	if fmt.Sprint(got) != fmt.Sprint([]string{trackURL(1), trackURL(2), trackURL(3), trackURL(4)}) {
		t.Errorf("text links = %v\n%s", got, text)
	}
	if !strings.Contains(text, r.UnsubscribeURL) {
		t.Errorf("text lost the unsubscribe link:\n%s", text)
	}
	if !tc.FastPath() {
		t.Error("tracked issue left the fast render path")
	}
	// The original is unchanged.
	orig, _ := c.Render(r)
	if !strings.Contains(string(orig.HTML), "https://news.example.com/one") {
		t.Error("TrackLinks changed the issue it was called on")
	}
}

func TestTrackLinksPerRecipient(t *testing.T) {
	c, err := compileFiles(t, trackIssue, minimalLayout, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	tc, _, err := c.TrackLinks(templates.LinkTracking{URL: trackURL, PerRecipient: true, PixelURL: "https://t.example/o/7.sig.gif"})
	if err != nil {
		t.Fatal(err)
	}
	r := templates.SampleRecipient()
	r.ClickToken = "abc123"
	out, err := tc.Render(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out.HTML), `href="`+trackURL(2)+`/abc123"`) {
		t.Errorf("html lacks the per-recipient link:\n%s", out.HTML)
	}
	if !strings.Contains(string(out.Text), trackURL(4)+"/abc123") {
		t.Errorf("text lacks the per-recipient link:\n%s", out.Text)
	}
	if n := strings.Count(string(out.HTML), `<img src="https://t.example/o/7.sig.gif"`); n != 1 {
		t.Errorf("html has %d open pixels, want 1", n)
	}
	if !tc.FastPath() {
		t.Error("per-recipient tracking left the fast render path")
	}
}

// BenchmarkRenderToTracked is BenchmarkRenderTo for the example issue with
// its links tracked per recipient: the cost tracking adds to a send.
func BenchmarkRenderToTracked(b *testing.B) {
	c := mustCompileExample(b)
	tc, _, err := c.TrackLinks(templates.LinkTracking{URL: trackURL, PerRecipient: true})
	if err != nil {
		b.Fatal(err)
	}
	r := templates.SampleRecipient()
	r.ClickToken = "0123456789abcdefghijklm"
	var out templates.Rendered
	b.ReportAllocs()
	for b.Loop() {
		if err := tc.RenderTo(&out, r); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTrackClicksFrontMatter(t *testing.T) {
	is, err := templates.ParseIssue("a.md", []byte("---\nsubject: S\ntrack_clicks: aggregate\n---\nbody\n"))
	if err != nil || is.TrackClicks != "aggregate" {
		t.Fatalf("track_clicks: aggregate = %q, %v", is.TrackClicks, err)
	}
	_, err = templates.ParseIssue("a.md", []byte("---\nsubject: S\ntrack_clicks: always\n---\nbody\n"))
	c, ok := findCheck(checksOf(t, err), "track_clicks")
	if !ok || c.Line != 3 || c.File != "a.md" {
		t.Fatalf("bad track_clicks: checks %v; want one at a.md line 3", err)
	}
}

package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/web"
)

// renderWebVersion is what cmd/dispatch wires: the templates package's
// web version.
func renderWebVersion(snapshot []byte, webURL, manageURL string) (*web.WebIssue, error) {
	wi, err := templates.RenderWebVersion(snapshot, webURL, manageURL)
	if err != nil {
		return nil, err
	}
	return &web.WebIssue{Subject: wi.Subject, HTML: wi.HTML, Date: wi.Date}, nil
}

// issueSource is an issue that prints recipient data in its subject, body
// and (through the default layout) footer.
const issueSource = `---
subject: "%s for {{ .FirstName | default \"our readers\" }}"
id: %s
date: 2026-11-30
---
# %s

Hello {{ .FirstName | default "reader" }} from {{ .Attr "company" | default "your firm" }}.

A story about patching, written for {{ .Email }}.
`

// sendIssue creates a campaign of a compiled issue to list and starts
// it, as a send does: it is in the archive from then on.
func (e *env) sendIssue(list, slug, title string) *subscribers.Campaign {
	e.t.Helper()
	ctx := context.Background()
	l, err := e.store.FindListByName(ctx, list)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.createCampaign(l, slug, title)
	if _, err := e.store.StartCampaignRun(ctx, c.ID); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// createCampaign creates a campaign that has not started.
func (e *env) createCampaign(l *subscribers.List, slug, title string) *subscribers.Campaign {
	e.t.Helper()
	is, err := templates.ParseIssue(slug+".md", fmt.Appendf(nil, issueSource, title, slug, title))
	if err != nil {
		e.t.Fatal(err)
	}
	compiled, err := templates.Compile(is, templates.Config{PostalAddress: "1 Test Street, Testville",
		ListName: l.DisplayName(), WebVersion: true})
	if err != nil {
		e.t.Fatal(err)
	}
	snap, err := json.Marshal(compiled.Snapshot())
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.store.CreateCampaign(context.Background(), subscribers.NewCampaign{Slug: slug, ListID: l.ID,
		Subject: is.Subject, IssuePath: is.Path, Snapshot: snap})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// createList creates a list with a visibility.
func (e *env) createList(name string, v subscribers.Visibility) *subscribers.List {
	e.t.Helper()
	l, err := e.store.CreateList(context.Background(), subscribers.NewList{Name: name, Visibility: v})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func TestWebVersionOfAPublicIssue(t *testing.T) {
	e := newEnv(t, nil)
	e.createList("briefing", subscribers.Public)
	ada := e.addSubscriber("ada.lovelace@example.com", "briefing")
	e.store.UpdateSubscriber(context.Background(), ada.ID, subscribers.SubscriberUpdate{Name: ptr("Ada Lovelace")}, "test")
	e.sendIssue("briefing", "2026-48", "Patch Tuesday")

	resp, body := e.get(e.ts.URL + "/archive/briefing/2026-48")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET web version: %d\n%s", resp.StatusCode, body)
	}
	for _, want := range []string{"<title>Patch Tuesday for our readers</title>", "Hello reader from your firm.",
		"written for " + templates.NeutralEmail, `href="http://news.example.test/manage"`} {
		if !strings.Contains(body, want) {
			t.Errorf("web version lacks %q", want)
		}
	}
	checkPrivate(t, resp, body, "ada.lovelace@example.com", "Ada", "Lovelace")
	if strings.Contains(body, "/u/") || strings.Contains(body, "/manage/") {
		t.Errorf("web version carries a personal link")
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-hashes' 'sha256-") ||
		!strings.HasSuffix(csp, "; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'") {
		t.Errorf("CSP = %q; want only hashed styles and data: images", csp)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control = %q", cc)
	}
	etag, mod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || mod == "" {
		t.Fatalf("ETag %q, Last-Modified %q; want both", etag, mod)
	}
	for _, h := range []struct{ name, value string }{{"If-None-Match", etag}, {"If-Modified-Since", mod}} {
		req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/archive/briefing/2026-48", nil)
		req.Header.Set(h.name, h.value)
		resp, body := e.do(req)
		if resp.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("revalidation with %s: %d, %d bytes; want 304 and no body", h.name, resp.StatusCode, len(body))
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/archive/briefing/2026-48", nil)
	req.Header.Set("If-None-Match", `"stale"`)
	if resp, _ := e.do(req); resp.StatusCode != http.StatusOK {
		t.Errorf("revalidation with another ETag: %d; want 200", resp.StatusCode)
	}
	// The key of the email's link opens a public issue too.
	key := e.tokens.ArchiveLink(e.ts.URL, "briefing", "2026-48", 1)
	if resp, _ := e.get(key); resp.StatusCode != http.StatusOK {
		t.Errorf("keyed link to a public issue: %d", resp.StatusCode)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPrivateIssueOpensOnlyWithItsKey(t *testing.T) {
	e := newEnv(t, nil)
	l := e.createList("clients", subscribers.Private)
	c := e.sendIssue("clients", "q4-letter", "Quarterly letter")
	other := e.sendIssue("clients", "q3-letter", "Earlier letter")
	e.createList("staff", subscribers.Private)
	staff := e.sendIssue("staff", "q4-letter", "Staff letter")

	link := e.tokens.ArchiveLink(e.ts.URL, l.Name, c.Slug, c.ID)
	resp, body := e.get(link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Quarterly letter") {
		t.Fatalf("the email's link: %d; want the issue", resp.StatusCode)
	}
	if cc, robots := resp.Header.Get("Cache-Control"), resp.Header.Get("X-Robots-Tag"); cc != "private, max-age=60" || robots != "noindex" {
		t.Errorf("Cache-Control %q, X-Robots-Tag %q; want private and noindex", cc, robots)
	}
	// The page's own "view in browser" link keeps the key.
	if !strings.Contains(body, "q4-letter?k=") {
		t.Errorf("the web version of a private issue links to itself without its key")
	}

	key := e.tokens.Archive(c.ID)
	tampered := key[:len(key)-1] + string("0123456789abcdefghijklmnopqrstuv"[(strings.IndexByte("0123456789abcdefghijklmnopqrstuv", key[len(key)-1])+1)%32])
	_, notFound := e.get(e.ts.URL + "/archive/nosuchlist/q4-letter")
	for name, u := range map[string]string{
		"no key":               e.ts.URL + "/archive/clients/q4-letter",
		"tampered key":         e.ts.URL + "/archive/clients/q4-letter?k=" + tampered,
		"another issue's key":  e.ts.URL + "/archive/clients/q4-letter?k=" + e.tokens.Archive(other.ID),
		"unsubscribe token":    e.ts.URL + "/archive/clients/q4-letter?k=" + e.tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: 1, ListID: l.ID, CampaignID: c.ID}),
		"private index":        e.ts.URL + "/archive/clients",
		"private feed":         e.ts.URL + "/archive/clients/feed.atom",
		"unknown issue":        e.ts.URL + "/archive/clients/nope",
		"unknown list (again)": e.ts.URL + "/archive/nosuchlist",
	} {
		resp, body := e.get(u)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d; want 404", name, resp.StatusCode)
		}
		if body != notFound {
			t.Errorf("%s: the 404 differs from an unknown list's, so it tells something", name)
		}
	}
	// A key on another list's path leads to the key's own issue, never to
	// the path's: the answer depends on the key alone (this is what keeps
	// an email's link working after its list is renamed).
	for path, want := range map[string]string{
		"/archive/clients/q4-letter?k=" + e.tokens.Archive(staff.ID): "/archive/staff/q4-letter?k=" + e.tokens.Archive(staff.ID),
		"/archive/staff/q4-letter?k=" + key:                          "/archive/clients/q4-letter?k=" + key,
	} {
		resp, _ := e.get(e.ts.URL + path)
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d to %q; want 302 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

func TestArchiveIndexPagesNewestFirst(t *testing.T) {
	e := newEnv(t, func(c *web.Config) { c.ArchivePageSize = 2 })
	l := e.createList("briefing", subscribers.Public)
	for i := 1; i <= 3; i++ {
		e.sendIssue("briefing", fmt.Sprintf("issue-%d", i), fmt.Sprintf("Issue number %d", i))
	}
	e.createCampaign(l, "scheduled", "Not sent yet")

	resp, body := e.get(e.ts.URL + "/archive/briefing")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("index: %d\n%s", resp.StatusCode, body)
	}
	if i3, i2 := strings.Index(body, "Issue number 3 for our readers"), strings.Index(body, "Issue number 2"); i3 < 0 || i2 < i3 {
		t.Errorf("page 1 does not list issue 3 then issue 2:\n%s", body)
	}
	if strings.Contains(body, "Issue number 1") || strings.Contains(body, "Not sent yet") {
		t.Errorf("page 1 lists more than the two newest sent issues")
	}
	for _, want := range []string{`href="/archive/briefing/issue-3"`, `href="/archive/briefing?page=2" rel="next"`,
		`<link rel="alternate" type="application/atom+xml" title="briefing" href="/archive/briefing/feed.atom">`, "3 issues"} {
		if !strings.Contains(body, want) {
			t.Errorf("page 1 lacks %s", want)
		}
	}
	if strings.Contains(body, "noindex") {
		t.Errorf("a public archive asks not to be indexed")
	}
	if resp.Header.Get("ETag") == "" || resp.Header.Get("Last-Modified") == "" {
		t.Errorf("index without validators")
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/archive/briefing", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ := e.do(req); resp.StatusCode != http.StatusNotModified {
		t.Errorf("index revalidation: %d; want 304", resp.StatusCode)
	}

	_, body = e.get(e.ts.URL + "/archive/briefing?page=2")
	if !strings.Contains(body, "Issue number 1") || strings.Contains(body, "Issue number 2") ||
		!strings.Contains(body, `href="/archive/briefing" rel="prev"`) || strings.Contains(body, `rel="next"`) {
		t.Errorf("page 2 should hold only issue 1 and link back:\n%s", body)
	}
	for _, q := range []string{"?page=3", "?page=0", "?page=x"} {
		if resp, _ := e.get(e.ts.URL + "/archive/briefing" + q); resp.StatusCode != http.StatusNotFound {
			t.Errorf("index%s: %d; want 404", q, resp.StatusCode)
		}
	}
	// A new issue changes the page, so its validator.
	e.sendIssue("briefing", "issue-4", "Issue number 4")
	if resp, _ := e.do(req); resp.StatusCode != http.StatusOK {
		t.Errorf("revalidation after a new issue: %d; want 200", resp.StatusCode)
	}
	// Making the list private takes the index down.
	priv := subscribers.Private
	if _, err := e.store.UpdateList(context.Background(), "briefing", subscribers.ListUpdate{Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"/archive/briefing", "/archive/briefing/feed.atom", "/archive/briefing/issue-4"} {
		if resp, _ := e.get(e.ts.URL + u); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s of a list made private: %d; want 404", u, resp.StatusCode)
		}
	}
}

func TestArchiveFeed(t *testing.T) {
	e := newEnv(t, nil)
	e.createList("briefing", subscribers.Public)
	e.sendIssue("briefing", "first", "First issue")
	e.sendIssue("briefing", "second", "Second issue")

	resp, body := e.get(e.ts.URL + "/archive/briefing/feed.atom")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Fatalf("feed: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		Title   string   `xml:"title"`
		ID      string   `xml:"id"`
		Entries []struct {
			Title string `xml:"title"`
			ID    string `xml:"id"`
			Link  struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("feed is not Atom: %v\n%s", err, body)
	}
	if feed.Title != "briefing" || feed.ID != "http://news.example.test/archive/briefing/feed.atom" || len(feed.Entries) != 2 {
		t.Fatalf("feed = %+v", feed)
	}
	if e0 := feed.Entries[0]; e0.Title != "Second issue for our readers" || e0.Link.Href != "http://news.example.test/archive/briefing/second" {
		t.Errorf("newest entry = %+v", e0)
	}
	req, _ := http.NewRequest(http.MethodGet, e.ts.URL+"/archive/briefing/feed.atom", nil)
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	if resp, _ := e.do(req); resp.StatusCode != http.StatusNotModified {
		t.Errorf("feed revalidation: %d; want 304", resp.StatusCode)
	}
}

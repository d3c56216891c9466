package web_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// readCounter is the real store, counting the reads the archive's answers
// are made of.
type readCounter struct {
	web.Store
	reads atomic.Int64
}

func (c *readCounter) FindListByName(ctx context.Context, name string) (*subscribers.List, error) {
	c.reads.Add(1)
	return c.Store.FindListByName(ctx, name)
}

func (c *readCounter) FindArchivedIssue(ctx context.Context, listID int64, slug string) (*subscribers.ArchivedIssue, error) {
	c.reads.Add(1)
	return c.Store.FindArchivedIssue(ctx, listID, slug)
}

func (c *readCounter) FindArchive(ctx context.Context, listID int64, offset, limit int) (*subscribers.ArchivePage, error) {
	c.reads.Add(1)
	return c.Store.FindArchive(ctx, listID, offset, limit)
}

func (c *readCounter) FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error) {
	c.reads.Add(1)
	return c.Store.FindCampaignByID(ctx, id)
}

// newCountingEnv is newEnv with its store's archive reads counted, and a
// second store on the same file: another process, as the CLI beside
// `dispatch serve` is.
func newCountingEnv(t *testing.T) (*env, *readCounter, *sqlite.Store) {
	t.Helper()
	var rc *readCounter
	e := newEnv(t, func(c *web.Config) {
		rc = &readCounter{Store: c.Store}
		c.Store = rc
	})
	cli, err := sqlite.Open(context.Background(), e.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return e, rc, cli
}

// TestArchiveAnswersKeptWhileTheDatabaseIsUnchanged: a second request for
// the same page reads nothing from the database; any commit makes the next
// one read again.
func TestArchiveAnswersKeptWhileTheDatabaseIsUnchanged(t *testing.T) {
	e, rc, _ := newCountingEnv(t)
	e.createList("briefing", subscribers.Public)
	e.sendIssue("briefing", "2026-48", "Patch Tuesday")

	for _, path := range []string{"/archive/briefing/2026-48", "/archive/briefing", "/archive/briefing/feed.atom"} {
		resp, first := e.get(e.ts.URL + path)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		before := rc.reads.Load()
		resp, again := e.get(e.ts.URL + path)
		if resp.StatusCode != http.StatusOK || again != first {
			t.Errorf("%s again: %d, same page %v", path, resp.StatusCode, again == first)
		}
		if n := rc.reads.Load() - before; n != 0 {
			t.Errorf("%s again, database unchanged: %d reads; want none", path, n)
		}
		// A commit, even one the page does not show, makes it read again.
		e.addSubscriber("reader-"+strings.ReplaceAll(path, "/", "-")+"@example.com", "briefing")
		before = rc.reads.Load()
		if resp, again := e.get(e.ts.URL + path); resp.StatusCode != http.StatusOK || again != first {
			t.Errorf("%s after a commit: %d, same page %v", path, resp.StatusCode, again == first)
		}
		if rc.reads.Load() == before {
			t.Errorf("%s after a commit: read nothing", path)
		}
	}
}

// TestArchiveAnswersFollowAnotherProcess: a list made private or renamed
// by another process (the CLI) is no longer served from what was kept, and
// the 404 is the one every unknown page gets.
func TestArchiveAnswersFollowAnotherProcess(t *testing.T) {
	e, _, cli := newCountingEnv(t)
	e.createList("briefing", subscribers.Public)
	c := e.sendIssue("briefing", "2026-48", "Patch Tuesday")
	_, notFound := e.get(e.ts.URL + "/archive/nosuchlist/2026-48")
	paths := []string{"/archive/briefing/2026-48", "/archive/briefing", "/archive/briefing/feed.atom"}
	for _, path := range paths {
		if resp, _ := e.get(e.ts.URL + path); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	ctx := context.Background()
	priv := subscribers.Private
	if _, err := cli.UpdateList(ctx, "briefing", subscribers.ListUpdate{Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		if resp, body := e.get(e.ts.URL + path); resp.StatusCode != http.StatusNotFound || body != notFound {
			t.Errorf("%s of a list made private elsewhere: %d (same 404 as an unknown list: %v); want 404",
				path, resp.StatusCode, body == notFound)
		}
	}
	// The email's link still opens it, privately.
	link := e.tokens.ArchiveLink(e.ts.URL, "briefing", "2026-48", c.ID)
	resp, _ := e.get(link)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "private, max-age=60" {
		t.Errorf("the email's link after the list was made private: %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}

	// Renamed: the old path is gone, and the email's old link leads to
	// the new one.
	if _, err := cli.RenameList(ctx, "briefing", "security-briefing"); err != nil {
		t.Fatal(err)
	}
	if resp, body := e.get(e.ts.URL + "/archive/briefing/2026-48"); resp.StatusCode != http.StatusNotFound || body != notFound {
		t.Errorf("old path after a rename: %d; want the 404", resp.StatusCode)
	}
	resp, _ = e.get(link)
	want := "/archive/security-briefing/2026-48?k=" + e.tokens.Archive(c.ID)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Fatalf("old link after a rename: %d to %q; want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	resp, body := e.get(e.ts.URL + want)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Patch Tuesday") {
		t.Errorf("the link a rename redirects to: %d", resp.StatusCode)
	}
	if !strings.Contains(body, `security-briefing/2026-48?k=`) {
		t.Errorf("the web version after a rename does not link to itself under the new name")
	}
}

// TestArchiveDatabaseFailure: a database that fails gives the error page
// (it used to recurse until the stack ran out and the process died).
func TestArchiveDatabaseFailure(t *testing.T) {
	e := newEnv(t, nil)
	e.createList("briefing", subscribers.Public)
	e.sendIssue("briefing", "2026-48", "Patch Tuesday")
	if resp, _ := e.get(e.ts.URL + "/archive/briefing/2026-48"); resp.StatusCode != http.StatusOK {
		t.Fatalf("web version: %d", resp.StatusCode)
	}
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/archive/briefing/2026-48", "/archive/briefing", "/archive/briefing/feed.atom"} {
		if resp, _ := e.get(e.ts.URL + path); resp.StatusCode != http.StatusInternalServerError {
			t.Errorf("%s with the database closed: %d; want 500", path, resp.StatusCode)
		}
	}
	if !strings.Contains(e.logs.String(), `msg="request failed" route=/archive/{list}/{slug}`) {
		t.Errorf("the failure is not logged:\n%s", e.logs.String())
	}
}

// TestArchiveConditionalRequests: the validators of a kept page, as RFC
// 9110 orders them, over real HTTP.
func TestArchiveConditionalRequests(t *testing.T) {
	e := newEnv(t, nil)
	e.createList("briefing", subscribers.Public)
	e.sendIssue("briefing", "2026-48", "Patch Tuesday")
	u := e.ts.URL + "/archive/briefing/2026-48"
	resp, page := e.get(u)
	etag, mod := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if resp.StatusCode != http.StatusOK || etag == "" || mod == "" {
		t.Fatalf("GET: %d, ETag %q, Last-Modified %q", resp.StatusCode, etag, mod)
	}
	if n := resp.Header.Get("Content-Length"); n != strconv.Itoa(len(page)) {
		t.Errorf("Content-Length %s for %d bytes", n, len(page))
	}
	modTime, _ := http.ParseTime(mod)
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		status  int
	}{
		{"its ETag", "GET", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
		{"its ETag, weak", "GET", map[string]string{"If-None-Match": "W/" + etag}, http.StatusNotModified},
		{"its ETag in a list", "GET", map[string]string{"If-None-Match": `"other", ` + etag}, http.StatusNotModified},
		{"any ETag", "GET", map[string]string{"If-None-Match": "*"}, http.StatusNotModified},
		{"another ETag", "GET", map[string]string{"If-None-Match": `"other"`}, http.StatusOK},
		{"another ETag wins over a date that matches", "GET",
			map[string]string{"If-None-Match": `"other"`, "If-Modified-Since": mod}, http.StatusOK},
		{"its date", "GET", map[string]string{"If-Modified-Since": mod}, http.StatusNotModified},
		{"a later date", "GET", map[string]string{"If-Modified-Since": modTime.Add(time.Hour).Format(http.TimeFormat)}, http.StatusNotModified},
		{"an earlier date", "GET", map[string]string{"If-Modified-Since": modTime.Add(-time.Second).Format(http.TimeFormat)}, http.StatusOK},
		{"a date not understood", "GET", map[string]string{"If-Modified-Since": "yesterday"}, http.StatusOK},
		{"If-Match its ETag", "GET", map[string]string{"If-Match": etag}, http.StatusOK},
		{"If-Match its ETag, weak", "GET", map[string]string{"If-Match": "W/" + etag}, http.StatusPreconditionFailed},
		{"If-Match another ETag", "GET", map[string]string{"If-Match": `"other"`}, http.StatusPreconditionFailed},
		{"HEAD", "HEAD", nil, http.StatusOK},
		{"HEAD with its ETag", "HEAD", map[string]string{"If-None-Match": etag}, http.StatusNotModified},
	} {
		req, _ := http.NewRequest(tc.method, u, nil)
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		resp, body := e.do(req)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d; want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		if resp.Header.Get("ETag") != etag {
			t.Errorf("%s: ETag %q; want %q", tc.name, resp.Header.Get("ETag"), etag)
		}
		switch {
		case tc.status == http.StatusOK && tc.method == "GET" && body != page:
			t.Errorf("%s: not the page", tc.name)
		case (tc.status != http.StatusOK || tc.method == "HEAD") && body != "":
			t.Errorf("%s: %d bytes of body; want none", tc.name, len(body))
		case tc.status == http.StatusNotModified && resp.Header.Get("Content-Type") != "":
			t.Errorf("%s: a 304 with Content-Type %q", tc.name, resp.Header.Get("Content-Type"))
		}
	}
}

// TestArchiveConcurrentFirstRequests: many requests for pages not yet kept
// all get the same page (they share one read and one rendering), and a
// change committed meanwhile is seen by every request that starts after
// it.
func TestArchiveConcurrentFirstRequests(t *testing.T) {
	e, _, cli := newCountingEnv(t)
	e.createList("briefing", subscribers.Public)
	for i := range 3 {
		e.sendIssue("briefing", "issue-"+strconv.Itoa(i), "Issue "+strconv.Itoa(i))
	}
	paths := []string{"/archive/briefing/issue-0", "/archive/briefing/issue-2", "/archive/briefing", "/archive/briefing/feed.atom"}
	fetch := func() map[string][]string {
		var mu sync.Mutex
		got := map[string][]string{}
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				p := paths[i%len(paths)]
				resp, err := http.Get(e.ts.URL + p)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				mu.Lock()
				got[p] = append(got[p], strconv.Itoa(resp.StatusCode)+" "+string(body))
				mu.Unlock()
			})
		}
		wg.Wait()
		return got
	}
	for p, answers := range fetch() {
		for _, a := range answers {
			if !strings.HasPrefix(a, "200 ") || a != answers[0] {
				t.Errorf("%s: answers differ or fail: %.40q", p, a)
				break
			}
		}
	}
	priv := subscribers.Private
	if _, err := cli.UpdateList(context.Background(), "briefing", subscribers.ListUpdate{Visibility: &priv}); err != nil {
		t.Fatal(err)
	}
	for p, answers := range fetch() {
		for _, a := range answers {
			if !strings.HasPrefix(a, "404 ") {
				t.Errorf("%s after the list was made private: %.40q; want 404", p, a)
				break
			}
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// htmlPart returns the decoded HTML part of a message as received.
func htmlPart(t *testing.T, raw []byte) string {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("no HTML part: %v", err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

type clicksOut struct {
	Clicks *struct {
		Mode         string
		Human        int
		Machine      int
		UniqueHumans int `json:"unique_humans"`
		Stories      []struct {
			Section string
			Human   int
			Links   []struct {
				URL   string
				Human int
			}
		}
	}
}

// TestEndToEndClickInChromium sends an issue with aggregate click tracking
// through the real binary, opens the captured message in headless
// Chromium, clicks a story's link, lands on the story (a local server),
// and finds the click counted as a person's in campaigns show.
func TestEndToEndClickInChromium(t *testing.T) {
	ctx := browsertest.New(t)
	story := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>Story</title><p id=landed>The whole story</p>")
	}))
	t.Cleanup(story.Close)
	srv := smtptest.NewServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`smtp:
  host: 127.0.0.1
  port: %d
  tls: none
sending:
  rate: 0
sender:
  from: "Briefing <briefing@example.com>"
  bounce_address: bounces@example.com
  postal_address: "1 Test Street, Testville"
web:
  base_url: http://%s
  listen: %s
  secret: %s
admin:
  enabled: false
tracking:
  clicks: aggregate
  scanner_window: 1s
`, srv.Port(), addr, addr, serveSecret)
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	issue := filepath.Join(dir, "weekly.md")
	if err := os.WriteFile(issue, []byte(fmt.Sprintf(`---
subject: Weekly
---
# Weekly

## Router flaw under attack

Source: [The Ledger](%s/ledger).

## Certificate authority distrusted

Source: [CertWatch](%s/certwatch).
`, story.URL, story.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := dispatch(t, dir, "subscribers", "add", "reader@example.com", "--list", "clients"); r.code != 0 {
		t.Fatalf("subscribers add: %s", r.stderr)
	}
	if r := dispatch(t, dir, "send", issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: exit %d %s", r.code, r.stderr)
	}
	sentAt := time.Now()
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages; want 1", len(msgs))
	}
	html := htmlPart(t, msgs[0].Data)
	if strings.Contains(html, story.URL) {
		t.Fatal("the message links to the story directly")
	}
	page := filepath.Join(dir, "message.html")
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	startServe(t, dir, addr)

	// A reader opens the message after the scanner window.
	time.Sleep(time.Until(sentAt.Add(1500 * time.Millisecond)))
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+page),
		chromedp.Click(chromedp.CSS(`a[href*="/l/"]`)),
		chromedp.WaitVisible(chromedp.CSS("#landed")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	landed := browsertest.Text(t, ctx, "#landed")
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if landed != "The whole story" || at != story.URL+"/ledger" {
		t.Fatalf("landed on %s (%q); want %s/ledger", at, landed, story.URL)
	}

	// Counts reach the database within a second.
	var out clicksOut
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := dispatch(t, dir, "campaigns", "show", "1", "--json")
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("campaigns show --json: %v\n%s%s", err, r.stdout, r.stderr)
		}
		if out.Clicks != nil && out.Clicks.Human+out.Clicks.Machine > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	c := out.Clicks
	if c == nil || c.Mode != "aggregate" || c.Human != 1 || c.Machine != 0 || c.UniqueHumans != 1 {
		t.Fatalf("clicks = %+v; want one human click", c)
	}
	if len(c.Stories) != 2 || c.Stories[0].Section != "Router flaw under attack" || c.Stories[0].Human != 1 ||
		c.Stories[0].Links[0].URL != story.URL+"/ledger" {
		t.Errorf("stories = %+v; want the click under its headline", c.Stories)
	}
	r := dispatch(t, dir, "campaigns", "clicks", "1", "--csv")
	want := fmt.Sprintf("story,n,url,human,machine,unique_humans\nRouter flaw under attack,1,%s/ledger,1,0,1\n", story.URL)
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Errorf("campaigns clicks --csv: exit %d\n%s%s\nwant to start with\n%s", r.code, r.stdout, r.stderr, want)
	}
	if r := dispatch(t, dir, "campaigns", "show", "1"); !strings.Contains(r.stdout, "1 human, 0 machine") {
		t.Errorf("campaigns show lacks the clicks:\n%s", r.stdout)
	}
}

// TestEndToEndListsTracking sets a list's tracking and basis, and refuses
// individual tracking, there and at send time, without consent.
func TestEndToEndListsTracking(t *testing.T) {
	e := newSendEnv(t, 2, "")
	r := dispatch(t, e.dir, "lists", "tracking", "clients", "--clicks", "individual")
	if r.code == 0 || !strings.Contains(r.stderr, "needs the list's lawful basis to be consent") {
		t.Fatalf("individual without a basis: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, e.dir, "lists", "tracking", "clients", "--clicks", "aggregate", "--basis", "contract", "--json")
	var got listTrackingJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.Clicks != "aggregate" || got.Basis != "contract" || got.Opens != "off (default)" {
		t.Fatalf("lists tracking --json = %+v, %v\n%s%s", got, err, r.stdout, r.stderr)
	}
	if r := dispatch(t, e.dir, "lists", "tracking", "clients", "--basis", "maybe"); r.code != 2 || !strings.Contains(r.stderr, "--basis") {
		t.Errorf("bad basis: exit %d %s; want a usage error naming --basis", r.code, r.stderr)
	}
	// track_clicks: individual in an issue to a list whose basis is a
	// contract: refused before anything is sent.
	issue := filepath.Join(e.dir, "weekly.md")
	os.WriteFile(issue, []byte("---\nsubject: Weekly\ntrack_clicks: individual\n---\n# Weekly\n\n[Story](https://story.example.com/a)\n"), 0o644)
	r = dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes")
	if r.code == 0 || !strings.Contains(r.stderr, `list "clients" (basis: contract)`) || len(e.srv.Messages()) != 0 {
		t.Fatalf("individual send on a contract basis: exit %d, %d sent\n%s", r.code, len(e.srv.Messages()), r.stderr)
	}
	if r := dispatch(t, e.dir, "lists", "tracking", "clients", "--clicks", "individual", "--basis", "consent"); r.code != 0 {
		t.Fatalf("individual with consent: exit %d %s", r.code, r.stderr)
	}
	if r := dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("individual send with consent: exit %d %s", r.code, r.stderr)
	}
	if !strings.Contains(htmlPart(t, e.srv.Messages()[0].Data), "/l/1/1.") {
		t.Error("the message's link is not tracked")
	}
}

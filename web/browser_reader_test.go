package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// readerPage checks the current page at phone (390 px) and desktop (1280
// px) widths: no sideways scrolling, no serious or critical axe-core
// finding, and a screenshot of each in the artefacts.
func readerPage(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, width := range []int{390, 1280} {
		height, opts := int64(844), []chromedp.EmulateViewportOption{}
		if width == 390 {
			opts = append(opts, chromedp.EmulateMobile)
		} else {
			// As tall as the page, so that no scroll bar narrows the
			// screenshot.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), 900)); err != nil {
				browsertest.Fatalf(t, ctx, "%v", err)
			}
			h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
			if err != nil {
				t.Fatal(err)
			}
			height = max(h, 900)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), height, opts...), colourScheme(false)); err != nil {
			browsertest.Fatalf(t, ctx, "%v", err)
		}
		sw, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if sw > width {
			t.Errorf("%s: scrollWidth %d at %d px; want no sideways scrolling", name, sw, width)
		}
		screenshot(t, ctx, dir, name+"-"+itoa(int64(width)), width, false)
	}
	browsertest.CheckAccessibility(t, ctx, name)
}

func heading(t *testing.T, ctx context.Context) string {
	t.Helper()
	h := browsertest.Text(t, ctx, "h1")
	return strings.TrimSpace(h)
}

// TestArchiveInChromium reads a public archive and a sent issue's web
// version as a visitor does, and opens a private issue from its email link.
func TestArchiveInChromium(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, nil)
	dir := artifactDir(t)
	l := e.createList("briefing", subscribers.Public)
	title := "Security Briefing Weekly"
	if _, err := e.store.UpdateList(context.Background(), l.Name, subscribers.ListUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	e.sendIssue("briefing", "2026-47", "Routers under attack")
	e.sendIssue("briefing", "2026-48", "Patch Tuesday")

	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/archive/briefing"), chromedp.WaitVisible(chromedp.CSS(".issues"))); err != nil {
		browsertest.Fatalf(t, ctx, "open the archive: %v", err)
	}
	if h := heading(t, ctx); h != title {
		t.Errorf("archive heading = %q; want the list's title", h)
	}
	readerPage(t, ctx, dir, "archive-index")

	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(".issues li:first-child a")))
	if err != nil || resp.Status != 200 {
		t.Fatalf("open the newest issue: %v, %+v", err, resp)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("h1.title"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if h := heading(t, ctx); h != "Patch Tuesday" {
		t.Errorf("web version heading = %q; want the newest issue", h)
	}
	// The email's inline styles are allowed by hash: the masthead has its
	// navy background, which a CSP without them would have dropped.
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('td.masthead')).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(14, 35, 64)" {
		t.Errorf("masthead background = %q; want rgb(14, 35, 64): are the email's styles blocked?", bg)
	}
	text := browsertest.Text(t, ctx, "body")
	if !strings.Contains(text, "Hello reader from your firm.") {
		t.Errorf("the web version does not read neutrally:\n%s", text)
	}
	readerPage(t, ctx, dir, "archive-issue")

	// A private list's issue opens from the email's link, and only so.
	e.createList("clients", subscribers.Private)
	c := e.sendIssue("clients", "q4", "Quarterly letter")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.tokens.ArchiveLink(e.ts.URL, "clients", "q4", c.ID)),
		chromedp.WaitVisible(chromedp.CSS("h1.title"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if h := heading(t, ctx); h != "Quarterly letter" {
		t.Errorf("private issue heading = %q", h)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Navigate(e.ts.URL+"/archive/clients/q4"))
	if err != nil || resp.Status != 404 {
		t.Errorf("private issue without its key: %v, status %d; want 404", err, resp.Status)
	}
	readerPage(t, ctx, dir, "archive-not-found")
}

// TestPreferencesInChromium is a reader managing their subscription:
// asking for a link, choosing newsletters, downloading their data and
// deleting themselves, confirming each change.
func TestPreferencesInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 4*time.Minute)
	var smtp *smtptest.Server
	e := newEnv(t, withMail(t, &smtp))
	dir := artifactDir(t)
	brief := e.createList("briefing", subscribers.Public)
	alerts := e.createList("alerts", subscribers.Public)
	ada := e.addSubscriber("ada@example.com", "briefing")

	// Ask for a link.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.ts.URL+"/manage"), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	readerPage(t, ctx, dir, "manage-request")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#email"), "ada@example.com")); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("form button"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if h := heading(t, ctx); h != "Check your inbox" {
		t.Errorf("after asking: %q", h)
	}
	readerPage(t, ctx, dir, "manage-check-inbox")
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := smtp.WaitMessages(wctx, 1)
	if err != nil {
		t.Fatalf("no manage mail: %v", err)
	}
	link := manageLinkRE.FindString(string(msgs[0].Data))
	link = strings.Replace(link, "http://news.example.test", e.ts.URL, 1)

	// Swap briefing for alerts.
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#lists-heading"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	readerPage(t, ctx, dir, "manage")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[name=list][value="`+itoa(brief.ID)+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=list][value="`+itoa(alerts.ID)+`"]`)),
	); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/lists"] button`))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if h := heading(t, ctx); h != "Please confirm" {
		t.Fatalf("after saving the choice: %q; want the confirmation step", h)
	}
	if e.subscription(ada.ID, brief.ID) != subscribers.Subscribed {
		t.Errorf("the first step changed the subscriptions")
	}
	readerPage(t, ctx, dir, "manage-confirm")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("main form button"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if e.subscription(ada.ID, brief.ID) != subscribers.Unsubscribed || e.subscription(ada.ID, alerts.ID) != subscribers.Subscribed {
		t.Errorf("after confirming: briefing %s, alerts %s", e.subscription(ada.ID, brief.ID), e.subscription(ada.ID, alerts.ID))
	}
	readerPage(t, ctx, dir, "manage-saved")

	// Download the data.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#data-heading")),
		chromedp.Click(chromedp.CSS(`form[action$="/export"] button`))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	var data []byte
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if data, err = os.ReadFile(filepath.Join(downloads, "my-data.json")); err == nil {
			break
		}
	}
	var x subscribers.DataExport
	if err := json.Unmarshal(data, &x); err != nil {
		t.Fatalf("downloaded data: %v (%q)", err, data)
	}
	if x.Profile.Email != "ada@example.com" || len(x.Subscriptions) != 2 {
		t.Errorf("downloaded data = %+v", x)
	}

	// Delete everything.
	if err := chromedp.Do(ctx, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#leave-heading"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action$="/delete"] button`))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if _, err := e.store.FindSubscriberByID(context.Background(), ada.ID); err != nil {
		t.Fatalf("the first step of deleting erased: %v", err)
	}
	readerPage(t, ctx, dir, "manage-delete-confirm")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS("main form button"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if h := heading(t, ctx); h != "Your data is deleted" {
		t.Errorf("after deleting: %q", h)
	}
	if _, err := e.store.FindSubscriberByEmail(context.Background(), "ada@example.com"); err == nil {
		t.Errorf("the subscriber is still there")
	}
	readerPage(t, ctx, dir, "manage-deleted")
}

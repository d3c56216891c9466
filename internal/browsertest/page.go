package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// WaitTimeout is how long the helpers below wait for the page to show what
// they look for. It is generous because CI runs every package's tests at
// once on few cores, with the race detector.
const WaitTimeout = 45 * time.Second

// pollEvery is how often a waiting helper reads the page again.
const pollEvery = 50 * time.Millisecond

// readJS reads the first element that matches a CSS selector in one
// evaluation, so that a node htmx swaps meanwhile cannot go stale between
// finding and reading it (as chromedp.Text's node id can: "No node with
// given id found"). It gives [] when nothing matches, else [text]: the
// element's innerText when it is rendered, "" when it is not (as
// chromedp.Text).
const readJS = `(() => { const e = document.querySelector(%s);
	if (e === null) return [];
	return [(e.offsetWidth || e.offsetHeight || e.getClientRects().length) ? e.innerText : ""] })()`

// read returns the text of the first element matching sel, and whether
// one matched.
func read(ctx context.Context, sel string) (string, bool, error) {
	q, _ := json.Marshal(sel)
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(readJS, q)))
	if err != nil || len(v) == 0 {
		return "", false, err
	}
	return v[0], true, nil
}

// Text returns the visible text, trimmed, of the first element matching
// the CSS selector sel, waiting up to WaitTimeout for one to be there.
// The test fails, with what the page shows, when none comes.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	WaitFunc(t, ctx, fmt.Sprintf("an element %s", sel), func() (bool, error) {
		got, ok, err := read(ctx, sel)
		s = got
		return ok, err
	})
	return strings.TrimSpace(s)
}

// WaitText waits until the first element matching sel shows text that
// contains want, and returns that text, trimmed.
func WaitText(t testing.TB, ctx context.Context, sel, want string) string {
	t.Helper()
	var s string
	WaitFunc(t, ctx, fmt.Sprintf("%s to show %q", sel, want), func() (bool, error) {
		got, ok, err := read(ctx, sel)
		s = got
		return ok && strings.Contains(got, want), err
	})
	return strings.TrimSpace(s)
}

// WaitTextMatch waits until the first element matching sel shows text
// (trimmed) that re matches, and returns that text.
func WaitTextMatch(t testing.TB, ctx context.Context, sel string, re *regexp.Regexp) string {
	t.Helper()
	var s string
	WaitFunc(t, ctx, fmt.Sprintf("%s to match %s", sel, re), func() (bool, error) {
		got, ok, err := read(ctx, sel)
		s = strings.TrimSpace(got)
		return ok && re.MatchString(s), err
	})
	return s
}

// WaitJS waits until the JavaScript expression is truthy. what says what
// the test waits for, for the failure message.
func WaitJS(t testing.TB, ctx context.Context, what, expr string) {
	t.Helper()
	WaitFunc(t, ctx, what, func() (bool, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[bool](`!!(`+expr+`)`))
	})
}

// WaitLocation waits until the browser is at a URL that ok accepts, and
// returns it.
func WaitLocation(t testing.TB, ctx context.Context, what string, ok func(url string) bool) string {
	t.Helper()
	var loc string
	WaitFunc(t, ctx, what, func() (bool, error) {
		l, err := chromedp.Run(ctx, chromedp.Location())
		loc = l
		return err == nil && ok(l), err
	})
	return loc
}

// WaitFunc calls cond until it reports true, for up to WaitTimeout. Its
// errors (a page between two documents, a node swapped away) are retried:
// only the last is reported. On time out the test fails with what it
// waited for and what the page shows.
func WaitFunc(t testing.TB, ctx context.Context, what string, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	var last error
	for {
		ok, err := cond()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(pollEvery):
		}
	}
	msg := fmt.Sprintf("waited %s for %s", WaitTimeout, what)
	if last != nil {
		msg += fmt.Sprintf(" (last error: %v)", last)
	}
	if ctx.Err() != nil {
		msg += fmt.Sprintf(" (browser context: %v)", context.Cause(ctx))
	}
	Fatalf(t, ctx, "%s", msg)
}

// Fatalf fails the test with the message, followed by what the browser
// shows: its URL, the page's visible text and a screenshot saved in
// ArtifactDir. Browser tests use it (or the helpers above) for every
// failure of a step, so that a failure says what was done and what was
// seen.
func Fatalf(t testing.TB, ctx context.Context, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s\n%s", fmt.Sprintf(format, args...), Snapshot(t, ctx))
}

// Snapshot describes the page the browser shows, for a failure message:
// URL, visible text (cut at 3,000 characters) and the path of a screenshot
// of it. It never fails the test; what it cannot read it says.
func Snapshot(t testing.TB, ctx context.Context) string {
	t.Helper()
	// The test's own context may be what ran out: read the page with a
	// short one of its own, from the browser's (not cancelled) parent.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	var b strings.Builder
	loc, err := chromedp.Run(rctx, chromedp.Location())
	fmt.Fprintf(&b, "page: %s", loc)
	if err != nil {
		fmt.Fprintf(&b, " (location: %v)", err)
	}
	body, err := chromedp.Run(rctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : document.documentElement.outerHTML`))
	if err != nil {
		fmt.Fprintf(&b, "\npage text: unreadable: %v", err)
	} else {
		if len(body) > 3000 {
			body = body[:3000] + "…"
		}
		fmt.Fprintf(&b, "\npage text:\n\t%s", strings.ReplaceAll(strings.TrimSpace(body), "\n", "\n\t"))
	}
	shot, err := chromedp.Run(rctx, chromedp.FullScreenshot(90))
	if err != nil {
		fmt.Fprintf(&b, "\nscreenshot: %v", err)
		return b.String()
	}
	name := "failure-" + strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()) + "-" + time.Now().Format("150405.000") + ".png"
	path := filepath.Join(artifactDir(), name)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		fmt.Fprintf(&b, "\nscreenshot: %v", err)
	} else {
		fmt.Fprintf(&b, "\nscreenshot: %s", path)
	}
	return b.String()
}

// artifactDir is ArtifactDir without a test to fail: a failure's
// screenshot must outlive the test, so never t.TempDir.
func artifactDir() string {
	if dir := os.Getenv("DISPATCH_TEST_ARTIFACTS"); dir != "" && os.MkdirAll(dir, 0o755) == nil {
		return dir
	}
	return os.TempDir()
}

// Do runs the steps in order and, at the first error, fails the test
// saying what was being done and what the page shows.
func Do(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		Fatalf(t, ctx, "%s: %v", what, err)
	}
}

// Click clicks the first element matching sel once it is visible. When
// the node found goes stale before the click reaches it (htmx swapped it
// for a fresh copy), the click is tried again on the fresh one. Those
// errors come from locating the node, before any mouse event is sent, so
// the click happens once.
func Click(t testing.TB, ctx context.Context, sel string) {
	t.Helper()
	deadline := time.Now().Add(WaitTimeout)
	WaitFunc(t, ctx, "a click on "+sel, func() (bool, error) {
		// WaitVisible waits as long as its context lets it.
		cctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		err := chromedp.Do(cctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		if cctx.Err() != nil {
			return false, err
		}
		if err != nil && !Stale(err) {
			Fatalf(t, ctx, "click %s: %v", sel, err)
		}
		return err == nil, err
	})
}

// Stale reports whether err says that a node the test found is gone from
// the page: replaced by htmx or by a new document between the query and
// the action. The action can be tried again with a fresh query.
func Stale(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	for _, m := range []string{
		"No node with given id found",
		"Could not find node with given id",
		"Node is detached from document",
		"Node with given id does not belong to the document",
		"Could not compute box model",
		"Cannot find context with specified id",
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

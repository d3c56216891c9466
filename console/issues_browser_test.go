package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/browsertest"
)

// TestIssuesInChromium is what an editor does with an issue: upload it,
// see the misspelt placeholder reported at its line and fix it in the
// browser (the checks follow as they type), preview it at desktop and
// phone widths, send a test copy through the relay, schedule it a few
// seconds ahead for the campaign runner, watch the campaign page count up
// by itself, pause and resume it there, and read the report with its
// chart. Every page is screenshot at 1280 and 390 px and checked with
// axe-core.
//
// The relay is paced at one message every three seconds so that the
// send lasts long enough to be watched and paused on a loaded machine;
// the steps wait for what the page shows, never for a time.
func TestIssuesInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 8*time.Minute)
	tc := newIssueConsoleNow(t, console.Config{SiteName: "Northwind"}, time.Now, nil, 1.0/3)
	clients, _ := seed(t, tc.testConsole)
	// The campaign runner of `dispatch serve`, in this process, over the
	// console's service: as serve wires it.
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- campaign.NewRunner(tc.svc, campaign.RunnerConfig{Poll: 200 * time.Millisecond}).Run(runCtx)
	}()
	t.Cleanup(func() { stop(); <-done })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console and runner log:\n%s", tc.logs)
		}
	})
	base := tc.srv.URL

	file := filepath.Join(t.TempDir(), "March Briefing.md")
	if err := os.WriteFile(file, []byte(misspeltIssue), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(t, ctx, "log in",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/issues"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#file")),
	)
	visit(t, ctx, base, "/issues", "issues", "#file")

	// Upload the issue with {{ .FristName }} on line 7.
	browsertest.Do(t, ctx, "upload",
		chromedp.EmulateViewport(1280, 900),
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.Submit(chromedp.CSS("#file")),
		chromedp.WaitVisible(chromedp.CSS("#source")),
	)
	if got := text(t, ctx, "#checks"); !strings.Contains(got, "Line 7") || !strings.Contains(got, "FristName") {
		t.Errorf("checks after the upload = %q; want the misspelt placeholder at line 7", got)
	}
	loc := browsertest.WaitLocation(t, ctx, "the uploaded issue's page", func(u string) bool {
		return regexp.MustCompile(`/issues/\d+$`).MatchString(u)
	})
	issuePath := strings.TrimPrefix(loc, base)
	if !regexp.MustCompile(`^/issues/\d+$`).MatchString(issuePath) {
		browsertest.Fatalf(t, ctx, "after the upload the browser is at %q", loc)
	}
	browsertest.CheckAccessibility(t, ctx, "issue-with-error")
	shoot(t, ctx, "issue-with-error-1280", 1280)

	// Fix it as an editor would: the checks follow the typing (htmx).
	fix := fmt.Sprintf(`(() => { const s = document.querySelector("#source");
		s.value = s.value.replace("{{ .FristName }}", %q);
		s.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, `{{ .FirstName | default "colleague" }}`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fix)); err != nil {
		browsertest.Fatalf(t, ctx, "fix the placeholder in the textarea: %v", err)
	}
	browsertest.WaitText(t, ctx, "#checks", "No problems found.")
	browsertest.Do(t, ctx, "live preview", chromedp.WaitVisible(chromedp.CSS(`iframe[title^="Phone"]`)))
	// The upload's notice is still on the page until the save's page
	// replaces it: wait for the save's.
	browsertest.Do(t, ctx, "save", chromedp.Click(chromedp.CSS(`button[value="save"]`)))
	browsertest.WaitText(t, ctx, ".notice", "Saved as version 2.")

	// The preview at both widths, with the text part beside it.
	visit(t, ctx, base, issuePath, "issue", `iframe[title^="Desktop"]`)
	browsertest.Do(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[...document.querySelectorAll("#preview iframe")].map(f => Math.round(f.getBoundingClientRect().width))`))
	if err != nil || len(widths) != 2 || widths[0] != 680 || widths[1] != 375 {
		t.Errorf("preview widths = %v (%v); want 680 and 375", widths, err)
	}
	sandbox, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#preview iframe")].map(f => f.getAttribute("sandbox"))`))
	if err != nil || len(sandbox) != 2 || sandbox[0] != "" || sandbox[1] != "" {
		t.Errorf("iframe sandbox attributes = %q (%v); want empty (everything forbidden)", sandbox, err)
	}
	if got := text(t, ctx, ".frame.text pre"); !strings.Contains(got, "Dear Ada") || !strings.Contains(got, "Patch the VPN gateways") {
		t.Errorf("text part = %q", got)
	}

	// A test copy through the relay.
	browsertest.Do(t, ctx, "test send",
		chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(chromedp.CSS("#test-to"), "editor@example.org"),
		chromedp.Submit(chromedp.CSS("#test-to")),
	)
	browsertest.WaitText(t, ctx, "#test-results", "accepted by test-relay")
	msgs := tc.smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "editor@example.org" || !strings.Contains(string(msgs[0].Data), "[Test] March briefing") {
		browsertest.Fatalf(t, ctx, "after the test send the relay got %d messages; want the test copy", len(msgs))
	}
	browsertest.CheckAccessibility(t, ctx, "issue-test-sent")
	shoot(t, ctx, "issue-test-sent-390", 390)

	// Schedule it a few seconds ahead.
	visit(t, ctx, base, fmt.Sprintf("%s/send?list=%d&schedule=1", issuePath, clients.ID), "issue-schedule", "#date")
	browsertest.Do(t, ctx, "desktop viewport, light", chromedp.EmulateViewport(1280, 900), colourScheme(false))
	if got := text(t, ctx, "#recipients"); got != "10" {
		t.Errorf("recipients on the confirmation = %q; want 10 (12 minus a blocklisted and a bounced)", got)
	}
	at := time.Now().UTC().Add(8 * time.Second)
	set := fmt.Sprintf(`(() => { document.querySelector("#date").value = %q; document.querySelector("#time").value = %q;
		document.querySelector("#zone").value = "UTC"; return true })()`, at.Format("2006-01-02"), at.Format("15:04:05"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](set)); err != nil {
		browsertest.Fatalf(t, ctx, "fill in the date, time and zone: %v", err)
	}
	browsertest.Do(t, ctx, "schedule", chromedp.Submit(chromedp.CSS("#zone")))
	loc = browsertest.WaitLocation(t, ctx, "the campaign's page after scheduling", func(u string) bool {
		return strings.Contains(u, "/campaigns/")
	})
	campaignPath := strings.TrimPrefix(loc, base)
	if !regexp.MustCompile(`^/campaigns/\d+$`).MatchString(campaignPath) {
		browsertest.Fatalf(t, ctx, "after scheduling the browser is at %q; want the campaign's page", loc)
	}
	// The page is served before the time, with the runner up in this
	// process.
	var state string
	browsertest.WaitFunc(t, ctx, "the campaign's state", func() (bool, error) {
		state, _ = progress(ctx)
		return state != "", nil
	})
	if state != "scheduled" {
		browsertest.Fatalf(t, ctx, "campaign state right after scheduling for %s = %q; want scheduled", at.Format(time.TimeOnly), state)
	}
	if got := text(t, ctx, "#progress"); strings.Contains(got, "No campaign runner is up") {
		t.Errorf("scheduled campaign's progress = %q; want no warning, the runner of this process is up", got)
	}

	// Watch it: the runner starts it at its time, and the page counts up
	// by itself (htmx), while the campaign is still owed messages.
	browsertest.WaitFunc(t, ctx, "the page to show the campaign running, with some but not all of the 10 sent", func() (bool, error) {
		state, n := progress(ctx)
		return state == "running" && n >= 1 && n < 10, nil
	})
	if got := text(t, ctx, "#progress"); !strings.Contains(got, "Being sent by dispatch serve") {
		t.Errorf("running campaign's progress = %q; want who sends it", got)
	}
	if first := tc.smtp.Messages()[1].Received; first.Before(at.Add(-time.Second)) {
		t.Errorf("the first campaign message arrived at %s, before its time %s", first, at)
	}

	// Pause at once (the screenshots come after, so that a slow machine
	// does not let the send finish first): the runner stops at its next
	// heartbeat, a clean stop, with messages still owed.
	browsertest.Click(t, ctx, `form[action$="/pause"] button`)
	browsertest.WaitText(t, ctx, ".notice", "Pausing")
	var sent int
	browsertest.WaitFunc(t, ctx, "the page to show the campaign paused", func() (bool, error) {
		state, sent = progress(ctx)
		return state == "paused", nil
	})
	if sent < 1 || sent >= 10 {
		browsertest.Fatalf(t, ctx, "paused with %d sent; want some but not all of the 10 (the send was paced)", sent)
	}
	if n := len(tc.smtp.Messages()) - 1; n != sent {
		browsertest.Fatalf(t, ctx, "paused with %d sent; the relay got %d campaign messages", sent, n)
	}
	visit(t, ctx, base, campaignPath, "campaign-paused", `form[action$="/resume"] button`)
	if n := len(tc.smtp.Messages()) - 1; n != sent {
		browsertest.Fatalf(t, ctx, "the relay got %d campaign messages while the campaign was paused at %d", n, sent)
	}

	// Resume: the runner of this process takes it up again and finishes.
	browsertest.Do(t, ctx, "desktop viewport, light", chromedp.EmulateViewport(1280, 900), colourScheme(false))
	browsertest.Click(t, ctx, `form[action$="/resume"] button`)
	browsertest.WaitText(t, ctx, ".notice", "Campaign resumed: the campaign runner of dispatch serve sends it.")
	browsertest.CheckAccessibility(t, ctx, "campaign-resumed")
	shoot(t, ctx, "campaign-resumed-1280", 1280)
	browsertest.WaitFunc(t, ctx, "the page to show the campaign finished, with the 10 sent", func() (bool, error) {
		state, n := progress(ctx)
		return state == "finished" && n == 10, nil
	})
	got := map[string]int{}
	for _, m := range tc.smtp.Messages()[1:] {
		got[m.To[0]]++
	}
	if len(got) != 10 {
		t.Errorf("the relay got campaign messages for %d recipients (%v); want 10, each once", len(got), got)
	}
	for to, n := range got {
		if n != 1 {
			t.Errorf("%s got %d copies; want 1 (the pause was a clean stop)", to, n)
		}
	}

	// The report, on the campaign's page (which htmx does not reload:
	// open it again), with its chart drawn without script.
	browsertest.Do(t, ctx, "open the report",
		chromedp.EmulateViewport(1280, 900),
		colourScheme(false),
		chromedp.Navigate(base+campaignPath),
		chromedp.WaitVisible(chromedp.CSS("svg.chart")),
	)
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('svg.chart title').textContent`))
	if err != nil || title != "Deliveries per minute" {
		t.Errorf("chart title = %q (%v); want Deliveries per minute", title, err)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('svg.chart rect.chart-sent').length`))
	if err != nil || bars < 1 {
		t.Errorf("chart bars = %d (%v); want one per minute of the send", bars, err)
	}
	perMinute, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('[aria-label^="Deliveries per"] tbody tr')]
		.reduce((sum, r) => sum + Number(r.querySelector("td").textContent.replace(/,/g, "")), 0)`))
	if err != nil || perMinute != 10 {
		t.Errorf("deliveries in the timeline table = %d (%v); want 10", perMinute, err)
	}
	visit(t, ctx, base, campaignPath, "campaign-finished", "svg.chart")
}

// progress reads the campaign page's state and sent count in one go (htmx
// swaps them together); "" and -1 when the page does not show them.
func progress(ctx context.Context) (state string, sent int) {
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => { const s = document.querySelector("#campaign-state"), n = document.querySelector("#n-sent");
		return s && n ? [s.textContent.trim(), n.textContent.trim()] : [] })()`))
	if err != nil || len(v) != 2 {
		return "", -1
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v[1], ",", ""))
	if err != nil {
		return v[0], -1
	}
	return v[0], n
}

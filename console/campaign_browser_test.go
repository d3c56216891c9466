package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestCampaignInChromium is an admin following a send: the campaign page
// counts up by itself while another process sends, they pause it, resume
// it, and read the report with its chart (on the same page, so in its
// screenshots). Every page is screenshot at 1280 and 390 px and checked
// with axe-core.
func TestCampaignInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 10*time.Minute)
	tc := newTestConsole(t, console.Config{SiteName: "Northwind"}, false)
	c := seedCampaign(t, tc)
	tc.clock.Advance(0)
	run(t, tc, c, "waiting 4s for 5 deferred deliveries (next retry at 09:00:04)")
	base, path := tc.srv.URL, fmt.Sprintf("/campaigns/%d", c.ID)

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#progress")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in: %v", err)
	}
	if got := text(t, ctx, "#n-sent"); got != "150" {
		t.Fatalf("sent = %q; want 150", got)
	}
	if got := text(t, ctx, "#waiting"); !strings.Contains(got, "Waiting for: retry backoff.") {
		t.Errorf("waiting = %q; want the retry backoff", got)
	}

	// Five more messages go out; the page shows them without a reload.
	ds, err := tc.store.NextQueued(t.Context(), c.ID, 0, 5)
	if err != nil || len(ds) != 5 {
		t.Fatalf("queued deliveries: %v %d", err, len(ds))
	}
	sqlitetest.Begin(t, tc.store, c.ListID, ds...)
	ops := make([]subscribers.LedgerOp, len(ds))
	for i, d := range ds {
		ops[i] = subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250, At: tc.clock.Now()}
	}
	if _, err := tc.store.ApplyLedger(t.Context(), ops); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#n-sent`)), chromedp.Poll[chromedp.Void](
		`document.querySelector('#n-sent').textContent === '155'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		browsertest.Fatalf(t, ctx, "the page did not follow the send (sent shows %q): %v", text(t, ctx, "#n-sent"), err)
	}
	visit(t, ctx, base, path, "campaign-running", "#progress")

	// Pause: the sending process is asked, and stops.
	// The buttons are in the progress section htmx swaps every few
	// seconds: browsertest.Click finds them again when they go stale.
	browsertest.Do(t, ctx, "open the campaign to pause it",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+path),
	)
	browsertest.Click(t, ctx, `form[action$="/pause"] button`)
	browsertest.WaitText(t, ctx, ".notice", "Pausing")
	// Once the campaign stops, the page loads again whole (its report
	// too): the mark set on this page's window is gone then.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.beforeStop = true`)); err != nil {
		browsertest.Fatalf(t, ctx, "mark the page: %v", err)
	}
	if err := tc.store.ReleaseLease(t.Context(), subscribers.CampaignLease(c.ID), sender); err != nil {
		t.Fatal(err)
	}
	if err := tc.store.HoldCampaign(t.Context(), c.ID, subscribers.HoldOperator, "paused by an operator"); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitText(t, ctx, "#campaign-state", "paused")
	browsertest.WaitJS(t, ctx, "the page to load again once the campaign stopped", `window.beforeStop === undefined`)
	visit(t, ctx, base, path, "campaign-paused", `form[action$="/resume"] button`)

	// Resume: with no runner up, the page says what is missing.
	browsertest.Do(t, ctx, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	browsertest.Click(t, ctx, `form[action$="/resume"] button`)
	browsertest.WaitText(t, ctx, ".notice", "Campaign resumed")
	if got := text(t, ctx, "#campaign-state"); got != "interrupted" {
		t.Errorf("state after resume = %q; want interrupted (no runner)", got)
	}

	// The report and its chart, drawn without script.
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('svg.chart title').textContent`))
	if err != nil || title != "Deliveries per minute" {
		t.Errorf("chart title = %q (%v)", title, err)
	}
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#chart-sends-t ~ rect, svg.chart rect.chart-sent').length`))
	if err != nil || bars < 3 {
		t.Errorf("chart bars = %d (%v); want one per minute at least", bars, err)
	}
	// The bars take the theme's colour, not black.
	fill, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('svg.chart rect.chart-sent')).fill`))
	if err != nil || fill == "rgb(0, 0, 0)" || fill == "" {
		t.Errorf("bar fill = %q (%v); want the accent colour", fill, err)
	}
	visit(t, ctx, base, "/campaigns", "campaigns", "table")
	visit(t, ctx, base, fmt.Sprintf("/lists/%d", c.ListID), "list-growth", "svg.chart")
}

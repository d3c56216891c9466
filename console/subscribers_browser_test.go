package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/internal/browsertest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestSubscribersInChromium is what an admin does with a contact: search
// for them by name, open them, and blocklist them. Every page is
// screenshot at 1280 and 390 px and checked with axe-core.
func TestSubscribersInChromium(t *testing.T) {
	ctx := browsertest.NewWithTimeout(t, 5*time.Minute)
	tc := newTestConsole(t, console.Config{SiteName: "Northwind"}, false)
	seedSubscribers(t, tc, 12)
	res, err := tc.store.AddSubscriber(context.Background(), subscribers.AddInput{Email: "trap@spam.example", Name: "Mallory Trap",
		Lists: []string{"clients"}, Source: "import:old-crm.csv", Attributes: map[string]any{"company": "Nowhere Ltd"}})
	if err != nil {
		t.Fatal(err)
	}
	base := tc.srv.URL

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/subscribers"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), adminEmail),
		chromedp.SendKeys(chromedp.CSS("#password"), adminPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "log in: %v", err)
	}
	visit(t, ctx, base, "/subscribers", "subscribers", "#q")

	// Search by the start of the name, in the wrong case.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(base+"/subscribers"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "mallory"),
		chromedp.Submit(chromedp.CSS("#q")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "search: %v", err)
	}
	// Wait for the results page, not the page the search was typed on.
	for i := 0; ; i++ {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err == nil && strings.Contains(loc, "q=mallory") {
			break
		}
		if i > 100 {
			t.Fatalf("the search never loaded: at %q (%v)", loc, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("tbody th a"))); err != nil {
		browsertest.Fatalf(t, ctx, "%v", err)
	}
	if got := text(t, ctx, "tbody"); !strings.Contains(got, "trap@spam.example") || strings.Contains(got, "user01") {
		t.Errorf("search results = %q; want only trap@spam.example", got)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("tbody th a")), chromedp.WaitVisible(chromedp.CSS("#reason"))); err != nil {
		browsertest.Fatalf(t, ctx, "open the subscriber: %v", err)
	}
	visit(t, ctx, base, fmt.Sprintf("/subscribers/%d", res.Subscriber.ID), "subscriber", "#reason")

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.SendKeys(chromedp.CSS("#reason"), "spam trap"),
		chromedp.Submit(chromedp.CSS("#reason")),
		chromedp.WaitVisible(chromedp.CSS(".notice")),
	); err != nil {
		browsertest.Fatalf(t, ctx, "blocklist: %v", err)
	}
	if got := text(t, ctx, ".notice"); !strings.Contains(got, "Blocklisted trap@spam.example") {
		t.Errorf("notice = %q", got)
	}
	if got := text(t, ctx, "h1"); !strings.Contains(got, "blocklisted") {
		t.Errorf("h1 after blocklisting = %q", got)
	}
	browsertest.CheckAccessibility(t, ctx, "subscriber-blocklisted")
	shoot(t, ctx, "subscriber-blocklisted-1280", 1280)
	sub, err := tc.store.FindSubscriberByID(t.Context(), res.Subscriber.ID)
	if err != nil || sub.Status != subscribers.StatusBlocklisted {
		t.Fatalf("after blocklisting: %+v, %v", sub, err)
	}
	visit(t, ctx, base, "/suppressions", "suppressions", "#addresses")
	if got := text(t, ctx, "tbody"); !strings.Contains(got, "trap@spam.example") || !strings.Contains(got, "spam trap") {
		t.Errorf("suppressions page = %q; want the blocklisted address and the reason", got)
	}
	events, _ := tc.store.Events(t.Context(), sub.ID)
	if last := events[len(events)-1]; last.Actor != "console:"+adminEmail || last.Reason != "spam trap" {
		t.Errorf("last event = %+v; want the admin and the reason", last)
	}
}

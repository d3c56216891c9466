package console_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// sender is another process sending a campaign, as its lease names it.
var sender = subscribers.LeaseOwner{Host: "mailhost", PID: 777, Process: "serve", Started: time.Date(2026, 3, 4, 7, 0, 0, 0, time.UTC)}

// seedCampaign writes a campaign part-way through its send: 150 of 200
// sent from 08:00, 10 failed (user unknown), 5 deferred, 35 queued; 3
// hard bounces, a complaint and 2 unsubscribes since.
func seedCampaign(t *testing.T, tc *testConsole) *subscribers.Campaign {
	t.Helper()
	return sqlitetest.SeedSentCampaign(t, tc.store, sqlitetest.SentCampaign{List: "clients", N: 200,
		Subject: `Briefing for {{ .FirstName | default "you" }}`,
		Domains: []string{"northwind.example", "mail.example"}, Sent: 150, Failed: 10, Deferred: 5,
		Start: time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC), Rate: 1, HardBounces: 3, Complaints: 1, Unsubscribes: 2})
}

// run makes another process the live sender of c, waiting as note says.
func run(t *testing.T, tc *testConsole, c *subscribers.Campaign, note string) {
	t.Helper()
	ctx := t.Context()
	name := subscribers.CampaignLease(c.ID)
	if _, err := tc.store.AcquireLease(ctx, name, sender, func(subscribers.Lease) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if err := tc.store.RenewLease(ctx, name, sender, note); err != nil {
		t.Fatal(err)
	}
}

func TestCampaignPageProgressAndControls(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	c := seedCampaign(t, tc)
	tc.clock.t = time.Date(2026, 3, 4, 8, 3, 0, 0, time.UTC)
	run(t, tc, c, "paced at the rate limit (1 messages/s)")
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	path := fmt.Sprintf("/campaigns/%d", c.ID)

	list := b.get("/campaigns")
	if list.status != http.StatusOK || !strings.Contains(list.body, `href="`+path+`"`) || !strings.Contains(list.body, `badge running`) {
		t.Fatalf("campaigns list: %d, want a running campaign linked to %s:\n%s", list.status, path, mainText(list.body))
	}

	page := b.get(path)
	main := mainText(page.body)
	for _, want := range []string{
		`<span class="badge running" id="campaign-state">running</span>`,
		`<code>dispatch serve</code> (pid 777 on mailhost)`,
		`hx-get="` + path + `/progress" hx-trigger="every 2s"`,
		`<span class="n" id="n-sent">150</span>`, `<span class="n" id="n-failed">10</span>`,
		`<span class="n" id="n-deferred">5</span>`, `<span class="n" id="n-bounced">3</span>`, `<span class="n" id="n-left">40</span>`,
		"Waiting for: rate limit.",
		"<strong>53.3 messages/min</strong> over the last minutes, about <strong>45s</strong> left", // 160 in the 3 minutes since 08:00
		`action="` + path + `/pause"`, `action="` + path + `/cancel"`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	if strings.Contains(main, `action="`+path+`/resume"`) {
		t.Error("a running campaign offers Resume")
	}
	// The subject's placeholder is named, not shown as template syntax.
	if !strings.Contains(page.body, "<title>Campaign "+fmt.Sprint(c.ID)+": Briefing for [FirstName]") ||
		!strings.Contains(main, "<h1>Briefing for [FirstName]") || strings.Contains(page.body, "{{") {
		t.Error("campaign page does not show the subject with its placeholder named")
	}
	if t.Failed() {
		t.Fatalf("page:\n%s", main)
	}

	// The polled part alone: no layout, the same progress.
	part := b.get(path + "/progress")
	if part.status != http.StatusOK || strings.Contains(part.body, "<html") || !strings.Contains(part.body, `id="n-sent">150<`) ||
		part.header.Get("Cache-Control") != "no-store" || part.header.Get("HX-Refresh") != "" {
		t.Errorf("progress partial: %d %q, HX-Refresh %q\n%s", part.status, part.header.Get("Cache-Control"), part.header.Get("HX-Refresh"), part.body)
	}

	// Pause: the running process is asked.
	r := b.post(path+"/pause", nil)
	if r.status != http.StatusSeeOther || r.location != path {
		t.Fatalf("pause: %d to %q; want 303 to %s", r.status, r.location, path)
	}
	if got := mainText(b.get(path).body); !strings.Contains(got, "Pausing: the process sending the campaign stops") {
		t.Errorf("no notice after pause:\n%s", got)
	}
	if ctl, _ := tc.store.FindCampaignControl(t.Context(), c.ID); ctl.Request != subscribers.RequestPause {
		t.Errorf("request after pause = %q; want pause", ctl.Request)
	}

	// The run stops on a guardrail instead.
	if err := tc.store.ReleaseLease(t.Context(), subscribers.CampaignLease(c.ID), sender); err != nil {
		t.Fatal(err)
	}
	reason := "hard-bounce rate 6.0% is above sending.max_bounce_rate 5.0%"
	if err := tc.store.HoldCampaign(t.Context(), c.ID, subscribers.HoldGuardrail, reason); err != nil {
		t.Fatal(err)
	}
	main = mainText(b.get(path).body)
	for _, want := range []string{"Paused by a guardrail:</strong> " + reason, "only when you resume it", `action="` + path + `/resume"`} {
		if !strings.Contains(main, want) {
			t.Errorf("guardrail-paused page lacks %q", want)
		}
	}
	if strings.Contains(main, "hx-trigger") {
		t.Error("a paused campaign's page still polls")
	}
	// A page opened while it ran polls once more, and loads again whole,
	// report and all.
	if part := b.get(path + "/progress"); part.status != http.StatusOK || part.header.Get("HX-Refresh") != "true" {
		t.Errorf("progress of a paused campaign: %d, HX-Refresh %q; want the page loaded again", part.status, part.header.Get("HX-Refresh"))
	}

	// Resume with no runner up: said so, and the campaign waits for one.
	r = b.post(path+"/resume", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("resume: %d", r.status)
	}
	main = mainText(b.get(path).body)
	if !strings.Contains(main, "no campaign runner is up") || !strings.Contains(main, `badge interrupted`) {
		t.Errorf("after resume without a runner:\n%s", main)
	}

	// Cancel skips what is owed; then nothing can change.
	r = b.post(path+"/cancel", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.status)
	}
	main = mainText(b.get(path).body)
	if !strings.Contains(main, "40 deliveries it still owed were skipped") || !strings.Contains(main, `badge cancelled`) ||
		strings.Contains(main, `/pause"`) || strings.Contains(main, `/resume"`) {
		t.Errorf("after cancel:\n%s", main)
	}
	if r := b.post(path+"/pause", nil); r.status != http.StatusConflict || !strings.Contains(r.body, "finished or was cancelled") {
		t.Errorf("pause of a cancelled campaign: %d\n%s", r.status, mainText(r.body))
	}
	// Without the session's token nothing happens.
	if r := b.post(path+"/resume", url.Values{"csrf": {""}}); r.status != http.StatusForbidden {
		t.Errorf("resume without CSRF token: %d; want 403", r.status)
	}
	if r := b.get("/campaigns/9999"); r.status != http.StatusNotFound {
		t.Errorf("unknown campaign: %d; want 404", r.status)
	}
}

func TestCampaignReport(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	c := seedCampaign(t, tc)
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	path := fmt.Sprintf("/campaigns/%d", c.ID)
	main := mainText(b.get(path).body)
	for _, want := range []string{
		// Summary, with the first and last delivery.
		"<dt>Recipients</dt><dd>200</dd>", "<dt>Hard bounces</dt><dd>3 ", "<dt>Complaints</dt><dd>1 ", "<dt>Unsubscribed</dt><dd>2 ",
		"<dt>First delivery</dt><dd>2026-03-04 08:00 UTC</dd>", "<dt>Last delivery</dt><dd>2026-03-04 08:02 UTC</dd>",
		// The timeline: an SVG with its text alternative, and the tables.
		`<svg class="chart" viewBox="0 0 720 220" role="img" aria-labelledby="chart-sends-t chart-sends-d"`,
		`<title id="chart-sends-t">Deliveries per minute</title>`,
		`<desc id="chart-sends-d">160 deliveries from 2026-03-04 08:00 to 2026-03-04 08:02 UTC`,
		`<title id="chart-returns-t">Bounces, complaints and unsubscribes per hour</title>`,
		"<caption>Deliveries per minute (UTC)</caption>",
		`<th scope="row">Mar 4 08:00</th><td class="num">60</td><td class="num">0</td><td class="num">0</td>`,
		// Failures grouped by reply, without the addresses.
		`<td class="reply">550 5.1.1 user unknown</td><td class="num">10</td>`,
		// Domains.
		`<th scope="row">mail.example</th><td class="num">75</td>`, `<th scope="row">northwind.example</th><td class="num">75</td>`,
		`href="` + path + `/report.csv"`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", main)
	}

	csv := b.get(path + "/report.csv")
	if csv.status != http.StatusOK || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csv.header.Get("Content-Disposition"), fmt.Sprintf("campaign-%d-report.csv", c.ID)) {
		t.Fatalf("report.csv: %d %v", csv.status, csv.header)
	}
	for _, want := range []string{
		"section,key,metric,value\n", "summary,,recipients,200\n", "summary,,sent,150\n", "summary,,deferred,5\n",
		"summary,,failed,10\n", "summary,,hard_bounces,3\n", "summary,,complaints,1\n", "summary,,unsubscribed,2\n",
		"summary,,first_delivery_at,2026-03-04T08:00:00Z\n", "deliveries_per_minute,2026-03-04T08:01Z,sent,60\n",
		"failures,550 5.1.1 user unknown,count,10\n", "domains,mail.example,sent,75\n",
	} {
		if !strings.Contains(csv.body, want) {
			t.Errorf("report.csv lacks %q:\n%s", want, csv.body)
		}
	}
}

// TestListGrowthChart: the list page charts subscribers added,
// unsubscribed and bounced per week.
func TestListGrowthChart(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	ctx := t.Context()
	var ids []int64
	for i, back := range []int{15, 14, 2, 1, 0} { // days before 2026-03-04: 2 in the week of Feb 16, 3 in the week of Mar 2
		tc.clock.t = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC).AddDate(0, 0, -back)
		res, err := tc.store.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("g%d@example.com", i), Lists: []string{"clients"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Subscriber.ID)
	}
	l, err := tc.store.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	if err := tc.store.Unsubscribe(ctx, ids[0], l.ID, 0, "reader", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.store.RecordBounce(ctx, subscribers.Bounce{SubscriberID: ids[1], Kind: subscribers.BounceHard, Source: "mail", Key: "g"},
		subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	main := mainText(b.get(fmt.Sprintf("/lists/%d", l.ID)).body)
	for _, want := range []string{
		`<title id="chart-growth-t">Subscribers added, unsubscribed and bounced per week</title>`,
		`Over 26 weeks from 2025-09-08: 5 added, 1 unsubscribed, 1 bounced or complained.`,
		`<th scope="row">Feb 16</th><td class="num">2</td><td class="num">0</td><td class="num">0</td>`,
		`<th scope="row">Mar 2</th><td class="num">3</td><td class="num">1</td><td class="num">1</td>`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("list page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", main)
	}
}

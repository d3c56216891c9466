package console_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestCampaignClicksPage(t *testing.T) {
	tc := newTestConsole(t, console.Config{}, false)
	_, c := seed(t, tc)
	ctx := context.Background()
	b := tc.browser()
	b.login(adminEmail, adminPassword)
	if r := b.get("/campaigns/" + strconv.FormatInt(c.ID, 10) + "/clicks"); r.status != 200 || !strings.Contains(r.body, "tracks no clicks") {
		t.Fatalf("untracked campaign: %d\n%s", r.status, mainText(r.body))
	}
	links := []subscribers.TrackedLink{{N: 1, URL: "https://ledger.example.com/a", Section: "Router flaw <under> attack"},
		{N: 2, URL: "https://watch.example.org/b", Section: "CA distrusted"}}
	if err := tc.store.SetCampaignTracking(ctx, subscribers.CampaignTracking{CampaignID: c.ID, Clicks: subscribers.TrackAggregate,
		Opens: subscribers.OpensAggregate}, links); err != nil {
		t.Fatal(err)
	}
	hour := time.Now().UTC().Truncate(time.Hour)
	if err := tc.store.AddClicks(ctx, []subscribers.ClickDelta{
		{CampaignID: c.ID, N: 1, Hour: hour, Human: 7, Machine: 40, UniqueHumans: 5},
		{CampaignID: c.ID, N: 2, Hour: hour, Machine: 40},
	}, nil, []subscribers.OpenDelta{{CampaignID: c.ID, Hour: hour, Opens: 12}}); err != nil {
		t.Fatal(err)
	}
	r := b.get("/campaigns/" + strconv.FormatInt(c.ID, 10) + "/clicks")
	main := mainText(r.body)
	for _, want := range []string{
		`<span class="n">7</span><span class="label">Human clicks</span>`,
		`<span class="n">5</span><span class="label">Unique humans</span>`,
		`<span class="n">80</span><span class="label">Machine clicks</span>`,
		`<th scope="row">Router flaw &lt;under&gt; attack</th>`,
		`<svg xmlns="http://www.w3.org/2000/svg"`,
		`includes machine opens (Apple Mail Privacy Protection)`,
	} {
		if !strings.Contains(main, want) {
			t.Errorf("clicks page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(main)
	}
	csv := b.get("/campaigns/" + strconv.FormatInt(c.ID, 10) + "/clicks.csv")
	if csv.status != 200 || !strings.HasPrefix(csv.body, "story,n,url,human,machine,unique_humans\nRouter flaw <under> attack,1,https://ledger.example.com/a,7,40,5\n") {
		t.Errorf("csv: %d\n%s", csv.status, csv.body)
	}
	if !strings.Contains(b.get("/").body, "/campaigns/"+strconv.FormatInt(c.ID, 10)+"/clicks") {
		t.Error("the dashboard does not link the click report")
	}
	if r := b.get("/campaigns/999/clicks"); r.status != 404 {
		t.Errorf("unknown campaign: %d; want 404", r.status)
	}
}

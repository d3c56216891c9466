package tracking_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/tracking"
)

func TestReportGroupsLinksByStory(t *testing.T) {
	sent := time.Date(2026, 3, 2, 9, 20, 0, 0, time.UTC)
	links := []subscribers.LinkClicks{
		{TrackedLink: subscribers.TrackedLink{N: 1, URL: "https://a/", Section: "Patch now"}, Human: 3, Machine: 5, UniqueHumans: 2},
		{TrackedLink: subscribers.TrackedLink{N: 2, URL: "https://b/", Section: "=HYPERLINK(1)"}, Human: 1, Machine: 0, UniqueHumans: 1},
		{TrackedLink: subscribers.TrackedLink{N: 3, URL: "https://c/", Section: "Patch now"}, Human: 2, Machine: 1, UniqueHumans: 2},
	}
	hours := []subscribers.ClickHour{{Hour: sent.Truncate(time.Hour), Machine: 6}, {Hour: sent.Truncate(time.Hour).Add(3 * time.Hour), Human: 6}}
	r := tracking.BuildReport(subscribers.CampaignTracking{Clicks: subscribers.TrackAggregate, Opens: subscribers.OpensAggregate},
		links, hours, []subscribers.OpenHour{{Opens: 4}, {Opens: 3}}, sent)
	if len(r.Stories) != 2 || r.Stories[0].Section != "Patch now" || len(r.Stories[0].Links) != 2 ||
		r.Stories[0].Human != 5 || r.Stories[0].Machine != 6 || r.Stories[0].UniqueHumans != 4 {
		t.Fatalf("stories = %+v", r.Stories)
	}
	if r.Human != 6 || r.Machine != 6 || r.UniqueHumans != 5 {
		t.Errorf("totals = %d/%d/%d", r.Human, r.Machine, r.UniqueHumans)
	}
	if r.Opens == nil || r.Opens.Total != 7 || r.Opens.Note != "includes machine opens (Apple Mail Privacy Protection)" {
		t.Errorf("opens = %+v", r.Opens)
	}
	if len(r.OverTime) != 2 || r.OverTime[1].HoursSinceSend != 3 || r.OverTime[1].Human != 6 {
		t.Errorf("over time = %+v", r.OverTime)
	}
	var csv strings.Builder
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	want := "story,n,url,human,machine,unique_humans\nPatch now,1,https://a/,3,5,2\nPatch now,3,https://c/,2,1,2\n'=HYPERLINK(1),2,https://b/,1,0,1\n"
	if csv.String() != want {
		t.Errorf("csv =\n%s\nwant\n%s", csv.String(), want)
	}
	svg := r.Chart()
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Errorf("chart is not well-formed XML: %v", err)
	}
	if strings.Count(svg, "<rect") != 1 || !strings.Contains(svg, "hour 3: 6 human clicks") {
		t.Errorf("chart has %d bars; want one, for hour 3:\n%s", strings.Count(svg, "<rect"), svg)
	}
	if off := tracking.BuildReport(subscribers.CampaignTracking{Clicks: subscribers.TrackAggregate, Opens: subscribers.OpensOff}, nil, nil, nil, sent); off.Opens != nil {
		t.Error("a campaign without the pixel reports opens")
	}
}

package subscribers_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestWriteCampaignReportCSV: one shape for every section, and a reply
// that starts like a formula is neutralised.
func TestWriteCampaignReportCSV(t *testing.T) {
	at := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	err := subscribers.WriteCampaignReportCSV(&buf, &subscribers.Campaign{ID: 7, Slug: "march", Subject: "March", ListName: "clients"},
		subscribers.CampaignStats{Recipients: 3, Sent: 2, Failed: 1, FirstSentAt: at},
		subscribers.CampaignReport{
			Minutes:  []subscribers.MinuteCount{{At: at, Sent: 2, Failed: 1}},
			Hours:    []subscribers.HourCount{{At: at, HardBounces: 1}},
			Failures: []subscribers.FailureCount{{Code: 550, Reason: "=HYPERLINK(1)", N: 1}},
			Domains:  []subscribers.DomainCount{{Domain: "example.com", Sent: 2, Failed: 1}},
		})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		if len(r) != 4 {
			t.Errorf("row %q has %d cells; want 4", r, len(r))
		}
		got[strings.Join(r, "|")] = true
	}
	for _, want := range []string{"section|key|metric|value", "summary||campaign|7", "summary||recipients|3",
		"summary||first_delivery_at|2026-03-04T08:00:00Z", "summary||last_delivery_at|",
		"deliveries_per_minute|2026-03-04T08:00Z|sent|2", "returns_per_hour|2026-03-04T08Z|hard_bounces|1",
		"failures|'=HYPERLINK(1)|count|1", "domains|example.com|failed|1"} {
		if !got[want] {
			t.Errorf("report lacks the row %q", want)
		}
	}
}

package tracking_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/tracking"
)

// fixture is a store with a campaign of three tracked links and a counter
// on a clock the test moves.
type fixture struct {
	store    *sqlite.Store
	counter  *tracking.Counter
	campaign int64
	now      time.Time
	sent     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s := sqlitetest.Open(t)
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 1, Campaign: &subscribers.NewCampaign{Slug: "c", Subject: "S"}})
	links := []subscribers.TrackedLink{{N: 1, URL: "https://a.example/"}, {N: 2, URL: "https://b.example/"}, {N: 3, URL: "https://c.example/"}}
	if err := s.SetCampaignTracking(context.Background(), subscribers.CampaignTracking{CampaignID: seed.Campaign.ID,
		Clicks: subscribers.TrackAggregate, Opens: subscribers.OpensOff}, links); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, campaign: seed.Campaign.ID, sent: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	f.now = f.sent
	c, err := tracking.New(tracking.Config{Store: s, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.counter = c
	return f
}

const browser = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"

func (f *fixture) click(n int, ua, ip string) tracking.Verdict {
	return f.counter.Click(tracking.Click{CampaignID: f.campaign, N: n, Links: 3, SentAt: f.sent,
		IP: netip.MustParseAddr(ip), UserAgent: ua})
}

// counts flushes and returns human/machine/unique per link.
func (f *fixture) counts(t *testing.T) string {
	t.Helper()
	if err := f.counter.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	lc, err := f.store.CampaignClicks(context.Background(), f.campaign)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	for _, l := range lc {
		s += fmt.Sprintf("%d:%d/%d/%d ", l.N, l.Human, l.Machine, l.UniqueHumans)
	}
	return s
}

func TestScannerDetection(t *testing.T) {
	cases := []struct {
		name   string
		after  time.Duration
		ua, ip string
		want   tracking.Verdict
	}{
		{"click at +5s", 5 * time.Second, browser, "198.51.100.7", tracking.Verdict{Machine: true, Reason: tracking.ReasonWindow}},
		{"click at +2h", 2 * time.Hour, browser, "198.51.100.7", tracking.Verdict{}},
		{"empty user agent", 2 * time.Hour, "", "198.51.100.7", tracking.Verdict{Machine: true, Reason: tracking.ReasonAgent}},
		{"scanner user agent", 2 * time.Hour, "Mozilla/5.0 (compatible; BingPreview/1.0b)", "198.51.100.7", tracking.Verdict{Machine: true, Reason: tracking.ReasonAgent}},
		{"scanner address", 2 * time.Hour, browser, "40.107.22.9", tracking.Verdict{Machine: true, Reason: tracking.ReasonAddress}},
		{"scanner v6 address", 2 * time.Hour, browser, "2a01:111:f400::5", tracking.Verdict{Machine: true, Reason: tracking.ReasonAddress}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.now = f.sent.Add(c.after)
			if got := f.click(2, c.ua, c.ip); got != c.want {
				t.Fatalf("verdict = %+v; want %+v", got, c.want)
			}
			want := "1:0/0/0 2:1/0/1 3:0/0/0 "
			if c.want.Machine {
				want = "1:0/0/0 2:0/1/0 3:0/0/0 "
			}
			if got := f.counts(t); got != want {
				t.Errorf("counts = %s; want %s", got, want)
			}
		})
	}
}

func TestBurstOnAllLinksIsMachine(t *testing.T) {
	f := newFixture(t)
	f.now = f.sent.Add(3 * time.Hour) // well past the scanner window
	if v := f.click(1, browser, "198.51.100.7"); v.Machine {
		t.Fatalf("first click = %+v; want human until the burst shows", v)
	}
	// Flushed as human before the rest of the burst arrives.
	if got := f.counts(t); got != "1:1/0/1 2:0/0/0 3:0/0/0 " {
		t.Fatalf("after one click: %s", got)
	}
	f.now = f.now.Add(time.Second)
	f.click(2, browser, "198.51.100.7")
	f.now = f.now.Add(time.Second)
	if v := f.click(3, browser, "198.51.100.7"); v.Reason != tracking.ReasonBurst {
		t.Fatalf("last click of the burst = %+v; want a burst", v)
	}
	if got := f.counts(t); got != "1:0/1/0 2:0/1/0 3:0/1/0 " {
		t.Errorf("burst counts = %s; want every click a machine's", got)
	}
	// Another reader clicking two links slowly stays human.
	f.click(1, browser, "203.0.113.9")
	f.now = f.now.Add(time.Minute)
	f.click(2, browser, "203.0.113.9")
	f.now = f.now.Add(time.Minute)
	f.click(3, browser, "203.0.113.9")
	if got := f.counts(t); got != "1:1/1/1 2:1/1/1 3:1/1/1 " {
		t.Errorf("slow reader = %s; want one human click per link", got)
	}
}

func TestUniqueHumansPerDay(t *testing.T) {
	f := newFixture(t)
	f.now = f.sent.Add(2 * time.Hour)
	f.click(1, browser, "198.51.100.7")
	f.now = f.now.Add(time.Minute)
	f.click(1, browser, "198.51.100.7")
	f.click(1, browser, "198.51.100.8")
	if got := f.counts(t); got != "1:3/0/2 2:0/0/0 3:0/0/0 " {
		t.Errorf("same day = %s; want 3 clicks by 2 people", got)
	}
	f.now = f.now.Add(24 * time.Hour) // a new day, a new salt
	f.click(1, browser, "198.51.100.7")
	if got := f.counts(t); got != "1:4/0/3 2:0/0/0 3:0/0/0 " {
		t.Errorf("next day = %s; want the returning reader counted again", got)
	}
}

func TestOpensAndIndividualClicks(t *testing.T) {
	f := newFixture(t)
	ds := sqlitetest.Deliveries(t, f.store, f.campaign)
	f.now = f.sent.Add(2 * time.Hour)
	f.counter.Open(f.campaign)
	f.counter.Open(f.campaign)
	f.counter.Click(tracking.Click{CampaignID: f.campaign, N: 1, Links: 3, DeliveryID: ds[0].ID, SentAt: f.sent,
		IP: netip.MustParseAddr("198.51.100.7"), UserAgent: browser})
	if err := f.counter.FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	oh, err := f.store.CampaignOpens(context.Background(), f.campaign)
	if err != nil || len(oh) != 1 || oh[0].Opens != 2 {
		t.Errorf("opens = %+v, %v; want 2", oh, err)
	}
	rows := sqlitetest.TrackingTables(t, f.store)["link_clicks_individual"].Rows
	if len(rows) != 1 || rows[0][2] != fmt.Sprint(ds[0].ID) || rows[0][4] != "0" {
		t.Errorf("individual clicks = %v; want delivery %d, human", rows, ds[0].ID)
	}
}

func TestScannersTable(t *testing.T) {
	if _, err := tracking.ParseScanners("ip 10.0.0.0/8\nua x\nfoo bar\n"); err == nil {
		t.Error("a line of unknown kind parsed")
	}
	if _, err := tracking.ParseScanners("ip 10.0.0/8\n"); err == nil {
		t.Error("a bad prefix parsed")
	}
	s := tracking.DefaultScanners()
	if !s.Agent("") || !s.Agent("  ") || s.Agent(browser) {
		t.Error("the embedded table misjudges empty or browser user agents")
	}
}

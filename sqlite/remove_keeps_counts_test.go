package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// campaignFigures is what a campaign's pages count.
func campaignFigures(t *testing.T, s *sqlite.Store, id int64) string {
	t.Helper()
	ctx := context.Background()
	st, err := s.FindCampaignStats(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CampaignBounces(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.FindCampaignReport(ctx, id, 10)
	if err != nil {
		t.Fatal(err)
	}
	clicks, err := s.CampaignClicks(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("stats %+v\nbounces %+v\nreport %+v\nclicks %+v", st, b, r, clicks)
}

// closedInvariants closes s and returns the invariants its file breaks.
func closedInvariants(t *testing.T, s *sqlite.Store) []string {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return sqlitetest.Invariants(t, s.Path())
}

// TestRemoveKeepsCampaignCounts removes people a campaign mailed: their
// personal data goes (replies quoting them, bounce diagnostics, which
// links they clicked), while the ledger keeps every delivery and every
// count the campaign shows stays as it was; a newcomer does not inherit a
// removed person's id, and with it their history.
func TestRemoveKeepsCampaignCounts(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 3)
	s := e.s
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if err := s.SetCampaignTracking(ctx, subscribers.CampaignTracking{CampaignID: e.c.ID, Clicks: subscribers.TrackIndividual,
		Opens: subscribers.OpensOff},
		[]subscribers.TrackedLink{{N: 1, URL: "https://a.example/"}}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[i].ID, SMTPCode: 250, At: at})
	}
	e.begin(t, 1)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[1].ID, SMTPCode: 550, At: at,
		Error: `rcpt to: 550 "5.1.1 <R1@Example.com>: user unknown"`})
	if _, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: e.ds[2].SubscriberID, CampaignID: e.c.ID, DeliveryID: e.ds[2].ID,
		Kind: subscribers.BounceHard, Status: "5.1.1", Reason: "<r2@example.com>: mailbox gone", Source: "mail", Key: "b2"},
		subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, e.ds[0].SubscriberID, e.list.ID, e.c.ID, "reader", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.AddClicks(ctx, []subscribers.ClickDelta{{CampaignID: e.c.ID, N: 1, Hour: at, Human: 1, UniqueHumans: 1}},
		[]subscribers.IndividualClick{{CampaignID: e.c.ID, N: 1, DeliveryID: e.ds[2].ID, At: at}}, nil); err != nil {
		t.Fatal(err)
	}
	before := campaignFigures(t, s, e.c.ID)

	// r2 has the highest id: SQLite alone would give it to the next one.
	for _, email := range []string{"r0@example.com", "r1@example.com", "r2@example.com"} {
		if err := s.RemoveSubscriber(ctx, email, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	if after := campaignFigures(t, s, e.c.ID); after != before {
		t.Errorf("the campaign's figures changed with the removals:\n%s\nwant\n%s", after, before)
	}
	if n := len(sqlitetest.Deliveries(t, s, e.c.ID)); n != 3 {
		t.Errorf("%d deliveries in the ledger; want all 3 kept", n)
	}
	failed, err := s.FindFailedDeliveries(ctx, e.c.ID)
	if err != nil || len(failed) != 1 {
		t.Fatalf("failed deliveries = %+v, %v; want r1's", failed, err)
	}
	if f := failed[0]; strings.Contains(strings.ToLower(f.Error), "r1@") || !strings.Contains(f.Error, "user unknown") {
		t.Errorf("r1's reply after the removal = %q; want it without the address", f.Error)
	}
	if bs := sqlitetest.Bounces(t, s, 0); len(bs) != 1 || bs[0].Kind != subscribers.BounceHard || bs[0].CampaignID != e.c.ID {
		t.Errorf("bounces = %+v; want r2's kept for the campaign", bs)
	}
	if rows := sqlitetest.TrackingTables(t, s)["link_clicks_individual"].Rows; len(rows) != 0 {
		t.Errorf("individual clicks after the removal = %v; want none", rows)
	}

	// A click the redirect buffered before the removal reaches the store
	// after it: the count stays, who clicked does not.
	if err := s.AddClicks(ctx, []subscribers.ClickDelta{{CampaignID: e.c.ID, N: 1, Hour: at, Human: 1, UniqueHumans: 1}},
		[]subscribers.IndividualClick{{CampaignID: e.c.ID, N: 1, DeliveryID: e.ds[0].ID, At: at.Add(time.Minute)}}, nil); err != nil {
		t.Fatalf("a late click of a removed reader: %v", err)
	}
	if rows := sqlitetest.TrackingTables(t, s)["link_clicks_individual"].Rows; len(rows) != 0 {
		t.Errorf("individual clicks after a late click of a removed reader = %v; want none", rows)
	}
	if clicks, err := s.CampaignClicks(ctx, e.c.ID); err != nil || len(clicks) != 1 || clicks[0].Human != 2 {
		t.Errorf("clicks after the late click = %+v, %v; want 2 human clicks counted", clicks, err)
	}

	res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "new@example.com", Lists: []string{"news"}})
	if err != nil {
		t.Fatal(err)
	}
	if id := res.Subscriber.ID; id <= e.ds[2].SubscriberID {
		t.Errorf("a new subscriber got id %d; want one above the removed %d", id, e.ds[2].SubscriberID)
	}
	if evs := mustEvents(t, s, res.Subscriber.ID); len(evs) != 2 || evs[0].Type != subscribers.EventCreated {
		t.Errorf("the newcomer's history = %+v; want only its creation and subscription", evs)
	}
	if p := closedInvariants(t, s); len(p) != 0 {
		t.Errorf("after removals the database breaks %v", p)
	}
}

// TestPurgedIDsAreNotGivenAgain purges a stale request's subscriber: the
// removal is recorded like RemoveSubscriber's, and neither a new
// subscriber nor an import takes the id.
func TestPurgedIDsAreNotGivenAgain(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	news := formList(t, s, "news", "")
	stale := request(t, s, "stale@example.com", news)
	if _, err := s.PurgeUnconfirmed(ctx, s.Now().Add(time.Second), "admin"); err != nil {
		t.Fatal(err)
	}
	evs := mustEvents(t, s, stale.SubscriberID)
	if last := evs[len(evs)-1]; last.Type != subscribers.EventRemoved || last.Actor != "admin" {
		t.Errorf("the purged subscriber's last event = %+v; want removed by admin", last)
	}
	res := sqlitetest.Import(t, s, "google.csv", subscribers.ImportConfig{List: "clients"})
	if res.Added == 0 {
		t.Fatalf("import created no one: %+v", res)
	}
	if evs := mustEvents(t, s, stale.SubscriberID); evs[len(evs)-1].Type != subscribers.EventRemoved {
		t.Errorf("the purged id's history gained %+v after an import", evs[len(evs)-1])
	}
	if p := closedInvariants(t, s); len(p) != 0 {
		t.Errorf("after a purge and an import the database breaks %v", p)
	}
}

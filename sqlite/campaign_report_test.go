package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestCampaignCountsFollowEveryChange drives deliveries through every
// ledger operation, a dead run's recovery, a retry of failures and a
// cancel, and checks after each that the kept counts equal a recount and
// what migration 0014's triggers made of the same changes.
func TestCampaignCountsFollowEveryChange(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 8)
	if err := sqlite.InstallReferenceCounts(ctx, e.s); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	check := func(step string) {
		t.Helper()
		if err := e.s.CheckCampaignCounts(ctx); err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
		if err := sqlite.CompareReferenceCounts(ctx, e.s); err != nil {
			t.Fatalf("after %s: %v", step, err)
		}
	}
	check("create")
	e.begin(t, 0)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[0].ID, SMTPCode: 250, At: at.Add(time.Minute)})
	e.begin(t, 1)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[1].ID, SMTPCode: 250, At: at})
	check("sent")
	e.begin(t, 2)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: e.ds[2].ID, SMTPCode: 451, Error: "451 try later", NextAttempt: at})
	e.begin(t, 3)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpRequeue, DeliveryID: e.ds[3].ID, At: at})
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpPostpone, DeliveryID: e.ds[4].ID, Attempts: 0, At: at})
	check("deferred")
	e.begin(t, 5)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[5].ID, SMTPCode: 421, Error: "421 busy"})
	e.begin(t, 6)
	check("begun")
	if _, err := e.s.StartCampaignRun(ctx, e.c.ID); err != nil {
		t.Fatal(err)
	}
	check("recovered")
	if _, err := e.s.RetryFailed(ctx, e.c.ID); err != nil {
		t.Fatal(err)
	}
	check("retried")
	if _, err := e.s.CancelCampaign(ctx, e.c.ID); err != nil {
		t.Fatal(err)
	}
	check("cancelled")
	st := e.stats(t)
	if st.Sent != 2 || st.Skipped != 6 || st.Recipients != 8 || !st.FirstSentAt.Equal(at) || !st.LastSentAt.Equal(at.Add(time.Minute)) {
		t.Errorf("stats = %+v; want 2 sent, 6 skipped of 8, first at %s, last a minute later", st, at)
	}
}

func TestFindCampaignReport(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 6)
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	// r0, r1 sent in minute 10:00, r2 in 10:01; r3 deferred then failed
	// with its address in the reply, r4 failed alike; r5 failed otherwise.
	for i, min := range []int{0, 0, 1} {
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[i].ID, SMTPCode: 250, At: at.Add(time.Duration(min) * time.Minute)})
	}
	e.begin(t, 3)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: e.ds[3].ID, SMTPCode: 451, Error: "451 4.7.1 greylisted", NextAttempt: at, At: at})
	for _, i := range []int{3, 4} {
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[i].ID, SMTPCode: 550, At: at.Add(time.Minute),
			Error: fmt.Sprintf("550 5.1.1 <r%d@example.com>: user unknown", i)})
	}
	e.begin(t, 5)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[5].ID, SMTPCode: 554, Error: `data: 554 "5.7.1 <r5@example.com> \"rejected\""`, At: at.Add(time.Minute)})
	// Afterwards: a hard bounce at 12:xx, a complaint and an unsubscribe at 14:xx.
	e.s.Now = func() time.Time { return at.Add(2 * time.Hour) }
	if _, err := e.s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: e.ds[3].SubscriberID, CampaignID: e.c.ID, DeliveryID: e.ds[3].ID,
		Kind: subscribers.BounceHard, Source: "smtp", Key: "b3"}, subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	e.s.Now = func() time.Time { return at.Add(4 * time.Hour) }
	if _, err := e.s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: e.ds[0].SubscriberID, CampaignID: e.c.ID, DeliveryID: e.ds[0].ID,
		Kind: subscribers.BounceComplaint, Source: "mail", Key: "c0"}, subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.Unsubscribe(ctx, e.ds[1].SubscriberID, e.list.ID, e.c.ID, "reader", ""); err != nil {
		t.Fatal(err)
	}
	r, err := e.s.FindCampaignReport(ctx, e.c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	wantMinutes := []subscribers.MinuteCount{
		{At: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), Sent: 2, Deferred: 1},
		{At: time.Date(2026, 3, 1, 10, 1, 0, 0, time.UTC), Sent: 1, Failed: 3},
	}
	if fmt.Sprint(r.Minutes) != fmt.Sprint(wantMinutes) {
		t.Errorf("minutes = %+v; want %+v", r.Minutes, wantMinutes)
	}
	wantHours := []subscribers.HourCount{
		{At: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), HardBounces: 1},
		{At: time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC), Complaints: 1, Unsubscribed: 1},
	}
	if fmt.Sprint(r.Hours) != fmt.Sprint(wantHours) {
		t.Errorf("hours = %+v; want %+v", r.Hours, wantHours)
	}
	wantFailures := []subscribers.FailureCount{
		{Code: 550, Reason: "550 5.1.1 user unknown", N: 2},
		{Code: 554, Reason: `554 5.7.1 "rejected" (at DATA)`, N: 1},
	}
	if fmt.Sprint(r.Failures) != fmt.Sprint(wantFailures) {
		t.Errorf("failures = %+v; want %+v", r.Failures, wantFailures)
	}
	wantDomains := []subscribers.DomainCount{{Domain: "example.com", Sent: 3, Deferred: 1, Failed: 3, Bounced: 1}}
	if fmt.Sprint(r.Domains) != fmt.Sprint(wantDomains) {
		t.Errorf("domains = %+v; want %+v", r.Domains, wantDomains)
	}
	if r, err := e.s.FindCampaignReport(ctx, e.c.ID+100, 10); err != nil || len(r.Minutes)+len(r.Domains) != 0 {
		t.Errorf("report of an unknown campaign = %+v, %v; want an empty one", r, err)
	}
}

func TestFindListGrowth(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	mon := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	var ids []int64
	for i, day := range []int{0, 1, 6, 7, 8} { // 3 in the first week, 2 in the second
		s.Now = func() time.Time { return mon.AddDate(0, 0, day) }
		res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("g%d@example.com", i), Lists: []string{"news"}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Subscriber.ID)
	}
	l, err := s.FindListByName(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return mon.AddDate(0, 0, 9) }
	if err := s.Unsubscribe(ctx, ids[0], l.ID, 0, "reader", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: ids[1], Kind: subscribers.BounceHard, Source: "mail", Key: "g1"},
		subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindListGrowth(ctx, l.ID, mon.AddDate(0, 0, -30))
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.GrowthWeek{
		{At: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), Added: 3},
		{At: time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), Added: 2, Unsubscribed: 1, Bounced: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("growth = %+v; want %+v", got, want)
	}
	if got, err := s.FindListGrowth(ctx, l.ID, mon.AddDate(0, 0, 7)); err != nil || len(got) != 1 || got[0].Added != 2 {
		t.Errorf("growth since the second week = %+v, %v; want one week of 2 added", got, err)
	}
}

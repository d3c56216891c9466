package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// ledgerEnv is a campaign to n subscribers of list "news", straight from
// CreateCampaign: every delivery queued.
type ledgerEnv struct {
	s    *sqlite.Store
	list *subscribers.List
	c    *subscribers.Campaign
	ds   []subscribers.Delivery // in id order
}

func newLedgerEnv(t *testing.T, n int) *ledgerEnv {
	t.Helper()
	ctx := context.Background()
	s := mustOpen(t)
	for i := range n {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("r%d@example.com", i), Lists: []string{"news"}}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.FindListByName(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "issue-1", ListID: l.ID, Subject: "S", IssuePath: "i.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.NextQueued(ctx, c.ID, 0, n)
	if err != nil || len(ds) != n {
		t.Fatalf("NextQueued = %d, %v; want %d", len(ds), err, n)
	}
	return &ledgerEnv{s: s, list: l, c: c, ds: ds}
}

// apply applies ops and fails the test on a batch error; it returns the
// per-op results.
func (e *ledgerEnv) apply(t *testing.T, ops ...subscribers.LedgerOp) []error {
	t.Helper()
	res, err := e.s.ApplyLedger(context.Background(), ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(ops) {
		t.Fatalf("%d results for %d ops", len(res), len(ops))
	}
	return res
}

func (e *ledgerEnv) begin(t *testing.T, i int) {
	t.Helper()
	d := e.delivery(t, i)
	if res := e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: e.list.ID, Attempts: d.Attempts}); res[0] != nil {
		t.Fatalf("begin delivery %d: %v", d.ID, res[0])
	}
}

func (e *ledgerEnv) delivery(t *testing.T, i int) *subscribers.Delivery {
	t.Helper()
	d, err := e.s.FindDelivery(context.Background(), e.ds[i].ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (e *ledgerEnv) stats(t *testing.T) subscribers.CampaignStats {
	t.Helper()
	st, err := e.s.FindCampaignStats(context.Background(), e.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestApplyLedgerTransitions(t *testing.T) {
	e := newLedgerEnv(t, 1)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	next := at.Add(time.Hour)
	id := e.ds[0].ID
	for _, tc := range []struct {
		name         string
		op           subscribers.LedgerOp
		wantStatus   subscribers.DeliveryStatus
		wantAttempts int
		check        func(t *testing.T, d *subscribers.Delivery)
	}{
		{"begin counts an attempt", subscribers.LedgerOp{Kind: subscribers.OpBegin, ListID: e.list.ID, Attempts: 0, At: at},
			subscribers.DeliverySending, 1, nil},
		{"deferred waits for next attempt", subscribers.LedgerOp{Kind: subscribers.OpDeferred, At: at, NextAttempt: next, SMTPCode: 451, Error: "try later", Relay: "a"},
			subscribers.DeliveryDeferred, 1, func(t *testing.T, d *subscribers.Delivery) {
				if !d.NextAttempt.Equal(next) || d.SMTPCode != 451 || d.LastError != "try later" {
					t.Errorf("deferred = %+v; want next %v, 451, try later", d, next)
				}
			}},
		{"begin again from deferred", subscribers.LedgerOp{Kind: subscribers.OpBegin, ListID: e.list.ID, Attempts: 1, At: at},
			subscribers.DeliverySending, 2, nil},
		{"requeue gives the attempt back", subscribers.LedgerOp{Kind: subscribers.OpRequeue, At: at, Error: "relay down", Relay: "a"},
			subscribers.DeliveryDeferred, 1, func(t *testing.T, d *subscribers.Delivery) {
				if !d.NextAttempt.Equal(at) {
					t.Errorf("requeued next attempt = %v; want now (%v)", d.NextAttempt, at)
				}
			}},
		{"postpone keeps attempts and sets the time", subscribers.LedgerOp{Kind: subscribers.OpPostpone, Attempts: 1, At: at, NextAttempt: next, Error: "no connection"},
			subscribers.DeliveryDeferred, 1, func(t *testing.T, d *subscribers.Delivery) {
				if !d.NextAttempt.Equal(next) || d.LastError != "no connection" {
					t.Errorf("postponed = %+v; want next %v, no connection", d, next)
				}
			}},
		{"postpone of another attempt count does nothing", subscribers.LedgerOp{Kind: subscribers.OpPostpone, Attempts: 5, At: at, Error: "stale"},
			subscribers.DeliveryDeferred, 1, func(t *testing.T, d *subscribers.Delivery) {
				if d.LastError != "no connection" {
					t.Errorf("a stale postpone changed the delivery: %+v", d)
				}
			}},
		{"begin", subscribers.LedgerOp{Kind: subscribers.OpBegin, ListID: e.list.ID, Attempts: 1, At: at},
			subscribers.DeliverySending, 2, nil},
		{"sent records the time and code", subscribers.LedgerOp{Kind: subscribers.OpSent, At: at, SMTPCode: 250, Relay: "b"},
			subscribers.DeliverySent, 2, func(t *testing.T, d *subscribers.Delivery) {
				if !d.SentAt.Equal(at) || d.SMTPCode != 250 || d.LastError != "" {
					t.Errorf("sent = %+v; want sent at %v with 250 and no error", d, at)
				}
			}},
	} {
		tc.op.DeliveryID = id
		if res := e.apply(t, tc.op); res[0] != nil {
			t.Fatalf("%s: result %v", tc.name, res[0])
		}
		d := e.delivery(t, 0)
		if d.Status != tc.wantStatus || d.Attempts != tc.wantAttempts {
			t.Fatalf("%s: status %s, attempts %d; want %s, %d", tc.name, d.Status, d.Attempts, tc.wantStatus, tc.wantAttempts)
		}
		if tc.check != nil {
			tc.check(t, d)
		}
	}
}

func TestApplyLedgerRefusesBegin(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 3)
	// r0 is begun twice with the same attempts: the second is stale.
	e.begin(t, 0)
	// r1 left the list: not sendable, and skipped.
	sub1, err := e.s.FindSubscriberByID(ctx, e.ds[1].SubscriberID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Unsubscribe(ctx, sub1.ID, e.list.ID, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	// r2 is fine and comes in the same batch: one op's refusal does not
	// undo the others.
	res := e.apply(t,
		subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: e.ds[0].ID, ListID: e.list.ID, Attempts: 0},
		subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: e.ds[1].ID, ListID: e.list.ID, Attempts: 0},
		subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: e.ds[2].ID, ListID: e.list.ID, Attempts: 0},
	)
	if !errors.Is(res[0], subscribers.ErrStale) || !errors.Is(res[1], subscribers.ErrNotSendable) || res[2] != nil {
		t.Fatalf("results = %v; want ErrStale, ErrNotSendable, nil", res)
	}
	for i, want := range []subscribers.DeliveryStatus{subscribers.DeliverySending, subscribers.DeliverySkipped, subscribers.DeliverySending} {
		if d := e.delivery(t, i); d.Status != want {
			t.Errorf("delivery %d: %s; want %s", i, d.Status, want)
		}
	}
}

func TestApplyLedgerIsOneTransaction(t *testing.T) {
	e := newLedgerEnv(t, 2)
	_, err := e.s.ApplyLedger(context.Background(), []subscribers.LedgerOp{
		{Kind: subscribers.OpBegin, DeliveryID: e.ds[0].ID, ListID: e.list.ID},
		{Kind: subscribers.LedgerOpKind(99), DeliveryID: e.ds[1].ID},
	})
	if err == nil {
		t.Fatal("an unknown op kind was accepted")
	}
	if d := e.delivery(t, 0); d.Status != subscribers.DeliveryQueued || d.Attempts != 0 {
		t.Errorf("the batch failed but delivery 0 is %s with %d attempts; want it untouched", d.Status, d.Attempts)
	}
}

func TestApplyLedgerPossibleDuplicate(t *testing.T) {
	e := newLedgerEnv(t, 2)
	e.begin(t, 0)
	e.begin(t, 1)
	e.apply(t,
		subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: e.ds[0].ID, NextAttempt: time.Now(), PossibleDuplicate: true},
		subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[1].ID, SMTPCode: 554, Error: "no", PossibleDuplicate: true},
	)
	if st := e.stats(t); st.PossibleDuplicates != 2 || st.Deferred != 1 || st.Failed != 1 {
		t.Errorf("stats = %+v; want 2 possible duplicates, 1 deferred, 1 failed", st)
	}
}

func TestDueDeferredAndNextRetry(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 3)
	if next, n, err := e.s.NextRetry(ctx, e.c.ID); err != nil || n != 0 || !next.IsZero() {
		t.Fatalf("NextRetry with none deferred = %v, %d, %v; want zero, 0", next, n, err)
	}
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// r0 due at +2h, r1 due at +1h, r2 stays queued.
	for i, due := range []time.Time{base.Add(2 * time.Hour), base.Add(time.Hour)} {
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: e.ds[i].ID, NextAttempt: due, SMTPCode: 451})
	}
	next, n, err := e.s.NextRetry(ctx, e.c.ID)
	if err != nil || n != 2 || !next.Equal(base.Add(time.Hour)) {
		t.Fatalf("NextRetry = %v, %d, %v; want %v, 2", next, n, err, base.Add(time.Hour))
	}
	for _, tc := range []struct {
		now  time.Time
		want []int64
	}{
		{base, nil},
		{base.Add(time.Hour), []int64{e.ds[1].ID}},
		{base.Add(3 * time.Hour), []int64{e.ds[1].ID, e.ds[0].ID}}, // earliest due first
	} {
		ds, err := e.s.DueDeferred(ctx, e.c.ID, tc.now, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, d := range ds {
			got = append(got, d.ID)
			if d.Status != subscribers.DeliveryDeferred || d.Email == "" {
				t.Errorf("due delivery %+v; want deferred, with its address", d)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("DueDeferred at %v = %v; want %v", tc.now, got, tc.want)
		}
	}
	if ds, _ := e.s.DueDeferred(ctx, e.c.ID, base.Add(3*time.Hour), 1); len(ds) != 1 {
		t.Errorf("DueDeferred with limit 1 returned %d", len(ds))
	}
}

func TestCampaignRuns(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 4)
	// A first run sends r0, then dies with r1 and r2 on the wire.
	if n, err := e.s.StartCampaignRun(ctx, e.c.ID); err != nil || n != 0 {
		t.Fatalf("first StartCampaignRun = %d, %v; want 0", n, err)
	}
	c, _ := e.s.FindCampaignByID(ctx, e.c.ID)
	started := c.StartedAt
	if c.Status != subscribers.CampaignSending || started.IsZero() {
		t.Fatalf("after start: %s, started %v; want sending, a start time", c.Status, started)
	}
	e.begin(t, 0)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[0].ID, SMTPCode: 250})
	e.begin(t, 1)
	e.begin(t, 2)

	// The next run finds them and queues them again as possible duplicates.
	n, err := e.s.StartCampaignRun(ctx, e.c.ID)
	if err != nil || n != 2 {
		t.Fatalf("StartCampaignRun after a crash = %d, %v; want 2", n, err)
	}
	st := e.stats(t)
	if st.Queued != 3 || st.Sending != 0 || st.Sent != 1 || st.PossibleDuplicates != 2 || st.Done() {
		t.Errorf("stats after recovery = %+v; want 3 queued, 1 sent, 2 possible duplicates", st)
	}
	if c, _ := e.s.FindCampaignByID(ctx, e.c.ID); !c.StartedAt.Equal(started) {
		t.Errorf("a second run moved the start time from %v to %v", started, c.StartedAt)
	}

	// Paused with a reason, then finished: the time adds up.
	if err := e.s.EndCampaignRun(ctx, e.c.ID, 2*time.Second, subscribers.CampaignPaused, "relay refused"); err != nil {
		t.Fatal(err)
	}
	c, _ = e.s.FindCampaignByID(ctx, e.c.ID)
	if c.Status != subscribers.CampaignPaused || c.PauseReason != "relay refused" || !c.FinishedAt.IsZero() || c.SendSeconds != 2 {
		t.Errorf("paused campaign = %+v", c)
	}
	if _, err := e.s.StartCampaignRun(ctx, e.c.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.s.FindCampaignByID(ctx, e.c.ID); c.Status != subscribers.CampaignSending || c.PauseReason != "" {
		t.Errorf("restarted campaign = %s %q; want sending, no pause reason", c.Status, c.PauseReason)
	}
	if err := e.s.EndCampaignRun(ctx, e.c.ID, 3*time.Second, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
	c, _ = e.s.FindCampaignByID(ctx, e.c.ID)
	if c.Status != subscribers.CampaignFinished || c.FinishedAt.IsZero() || c.SendSeconds != 5 {
		t.Errorf("finished campaign = %+v; want finished, a finish time, 5 s", c)
	}
}

func TestFindCampaignStats(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 6)
	sentAt := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// r0 sent, r1 deferred, r2 failed (hard bounce), r3 sending, r4 skipped, r5 queued.
	e.begin(t, 0)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[0].ID, SMTPCode: 250, At: sentAt})
	e.begin(t, 1)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: e.ds[1].ID, NextAttempt: sentAt})
	e.begin(t, 2)
	e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[2].ID, SMTPCode: 550})
	if _, err := e.s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: e.ds[2].SubscriberID, CampaignID: e.c.ID, DeliveryID: e.ds[2].ID,
		Kind: subscribers.BounceHard, Source: "smtp", Key: "k2"}, subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	e.begin(t, 3)
	if err := e.s.Unsubscribe(ctx, e.ds[4].SubscriberID, e.list.ID, e.c.ID, "reader", ""); err != nil {
		t.Fatal(err)
	}
	if res := e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: e.ds[4].ID, ListID: e.list.ID}); !errors.Is(res[0], subscribers.ErrNotSendable) {
		t.Fatalf("begin of an unsubscribed reader: %v; want ErrNotSendable", res[0])
	}
	want := subscribers.CampaignStats{Recipients: 6, Queued: 1, Sending: 1, Sent: 1, Deferred: 1, Failed: 1, Skipped: 1,
		HardBounces: 1, Unsubscribed: 1, FirstSentAt: sentAt, LastSentAt: sentAt}
	if got := e.stats(t); got != want {
		t.Errorf("stats =\n%+v; want\n%+v", got, want)
	}
	if _, err := e.s.FindCampaignStats(ctx, e.c.ID+100); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("stats of an unknown campaign: %v; want ErrNotFound", err)
	}
}

func TestFindCampaignsAndSentSince(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 2)
	second, err := e.s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "issue-2", ListID: e.list.ID, Subject: "S2", IssuePath: "j.md", Snapshot: []byte(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.s.FindCampaigns(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].ID != second.ID || cs[1].ID != e.c.ID || cs[0].Snapshot != nil || cs[0].ListName != "news" || cs[0].Recipients != 2 {
		t.Errorf("FindCampaigns = %+v; want issue-2 then issue-1, without snapshots", cs)
	}
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{t0, t0.Add(time.Hour)} {
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: e.ds[i].ID, SMTPCode: 250, At: at})
	}
	for _, tc := range []struct {
		since time.Time
		want  int
	}{{t0.Add(-time.Minute), 2}, {t0.Add(time.Minute), 1}, {t0.Add(2 * time.Hour), 0}} {
		if n, err := e.s.SentSince(ctx, tc.since); err != nil || n != tc.want {
			t.Errorf("SentSince(%v) = %d, %v; want %d", tc.since, n, err, tc.want)
		}
	}
}

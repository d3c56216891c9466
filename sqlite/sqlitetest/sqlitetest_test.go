package sqlitetest_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestSeedAndBegin(t *testing.T) {
	s := sqlitetest.Open(t)
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 3, Campaign: &subscribers.NewCampaign{Slug: "c", Subject: "s"}})
	if len(seed.Subscribers) != 3 || seed.List.Name != "news" || seed.Campaign == nil || seed.Campaign.Recipients != 3 {
		t.Fatalf("seed = %d subscribers, list %q, campaign %+v; want 3, news, 3 recipients", len(seed.Subscribers), seed.List.Name, seed.Campaign)
	}
	ds := sqlitetest.Deliveries(t, s, seed.Campaign.ID)
	if len(ds) != 3 || ds[0].Status != subscribers.DeliveryQueued || ds[0].SubscriberID != seed.Subscribers[0].ID {
		t.Fatalf("deliveries = %+v; want 3 queued, in the order added", ds)
	}
	queued, err := s.NextQueued(context.Background(), seed.Campaign.ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	sqlitetest.Begin(t, s, seed.List.ID, queued...)
	var states []subscribers.DeliveryStatus
	for _, d := range sqlitetest.Deliveries(t, s, seed.Campaign.ID) {
		states = append(states, d.Status)
	}
	if want := []subscribers.DeliveryStatus{subscribers.DeliverySending, subscribers.DeliverySending, subscribers.DeliveryQueued}; !slices.Equal(states, want) {
		t.Errorf("states after Begin = %v; want %v", states, want)
	}
	if n, err := s.StartCampaignRun(context.Background(), seed.Campaign.ID); err != nil || n != 2 {
		t.Errorf("StartCampaignRun = %d, %v; want the 2 begun deliveries recovered", n, err)
	}
}

func TestBouncesAndSubscriptions(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.Open(t)
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 2, List: "l"})
	a, b := seed.Subscribers[0], seed.Subscribers[1]
	if _, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: a.ID, Kind: subscribers.BounceHard, Source: "mail", Key: "k1"},
		subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Unsubscribe(ctx, b.ID, seed.List.ID, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	got := sqlitetest.Bounces(t, s, a.ID)
	if len(got) != 1 || got[0].Kind != subscribers.BounceHard || got[0].Source != "mail" || got[0].Key != "k1" {
		t.Errorf("bounces of a = %+v; want one hard bounce from mail with key k1", got)
	}
	if n := len(sqlitetest.Bounces(t, s, b.ID)); n != 0 {
		t.Errorf("%d bounces of b; want 0", n)
	}
	if n := len(sqlitetest.Bounces(t, s, 0)); n != 1 {
		t.Errorf("%d bounces in all; want 1", n)
	}
	if n := sqlitetest.CountSubscriptions(t, s, seed.List.ID, subscribers.Unsubscribed); n != 1 {
		t.Errorf("%d unsubscribed; want 1", n)
	}
	if n := sqlitetest.CountSubscriptions(t, s, seed.List.ID, subscribers.Subscribed); n != 1 {
		t.Errorf("%d subscribed; want 1", n)
	}
}

func TestFileChecks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "d.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 12, Campaign: &subscribers.NewCampaign{Slug: "c", Subject: "s"}})
	queued, _ := s.NextQueued(ctx, seed.Campaign.ID, 0, 1)
	sqlitetest.Begin(t, s, seed.List.ID, queued...)
	if _, err := s.ApplyLedger(ctx, []subscribers.LedgerOp{{Kind: subscribers.OpSent, DeliveryID: queued[0].ID, At: s.Now(), SMTPCode: 250}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if p := sqlitetest.Invariants(t, path); len(p) != 0 {
		t.Errorf("a database the store wrote breaks %v", p)
	}
	if n := sqlitetest.CountSent(t, path); n != 1 {
		t.Errorf("CountSent = %d; want 1", n)
	}
	fp := sqlitetest.Fingerprint(t, path)
	if fp == "" {
		t.Fatal("empty fingerprint of a database with 12 subscribers")
	}
	// A copy has the same fingerprint.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := sqlitetest.Fingerprint(t, cp); got != fp {
		t.Errorf("fingerprint of a copy differs:\n%s\nwant\n%s", got, fp)
	}
	ds, evs := sqlitetest.LedgerRows(t, path)
	if len(ds) != 12 || len(evs) == 0 {
		t.Errorf("LedgerRows = %d deliveries, %d events; want 12 and some", len(ds), len(evs))
	}
	// A copy whose per-domain count has drifted from its deliveries breaks
	// an invariant.
	db, err := sql.Open("sqlite3", cp)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO campaign_domains (campaign_id, domain, sent) SELECT campaign_id, 'a.example', 1 FROM campaign_counts WHERE true
		ON CONFLICT (campaign_id, domain) DO UPDATE SET sent = sent + 1`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	if p := sqlitetest.Invariants(t, cp); !slices.Equal(p, []string{"campaign domain counts that disagree"}) {
		t.Errorf("invariants of a copy with a drifted domain count = %v; want the domain counts named", p)
	}
}

func TestSeedSentCampaign(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.Open(t)
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	c := sqlitetest.SeedSentCampaign(t, s, sqlitetest.SentCampaign{N: 100, Domains: []string{"a.example", "b.example"},
		Sent: 80, Failed: 5, Deferred: 5, Start: start, Rate: 1, HardBounces: 4, Complaints: 2, Unsubscribes: 3})
	st, err := s.FindCampaignStats(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := subscribers.CampaignStats{Recipients: 100, Sent: 80, Failed: 5, Deferred: 5, Queued: 10, HardBounces: 4, Complaints: 2,
		Unsubscribed: 3, FirstSentAt: start, LastSentAt: start.Add(79 * time.Second)}
	if st != want {
		t.Errorf("stats =\n%+v; want\n%+v", st, want)
	}
	if err := s.CheckCampaignCounts(ctx); err != nil {
		t.Error(err)
	}
	r, err := s.FindCampaignReport(ctx, c.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Minutes) != 2 || r.Minutes[0].Sent != 60 || len(r.Domains) != 2 || len(r.Failures) != 1 || r.Failures[0].N != 5 ||
		r.Failures[0].Reason != "550 5.1.1 user unknown" {
		t.Errorf("report = %+v; want 2 minutes (60 sent in the first), 2 domains, 5 failures of one reason", r)
	}
	// A second campaign's subscribers do not collide with the first's.
	c2 := sqlitetest.SeedSentCampaign(t, s, sqlitetest.SentCampaign{List: "other", N: 10, Sent: 10})
	if st, err := s.FindCampaignStats(ctx, c2.ID); err != nil || st.Recipients != 10 || st.Sent != 10 {
		t.Errorf("second campaign = %+v, %v; want 10 sent of 10", st, err)
	}
}

// TestHoldSnapshotKeepsTheWALFromRestarting: while the snapshot is held, a
// TRUNCATE checkpoint cannot finish (a reader is still on the WAL); once it
// is released, one can.
func TestHoldSnapshotKeepsTheWALFromRestarting(t *testing.T) {
	ctx := context.Background()
	s := sqlitetest.Open(t)
	sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 3})
	checkpointBusy := func() int {
		t.Helper()
		db, err := sql.Open("sqlite3", "file:"+s.Path()+"?_busy_timeout=0")
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var busy, logged, done int
		if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
			t.Fatal(err)
		}
		return busy
	}
	release := sqlitetest.HoldSnapshot(t, s.Path())
	sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 3, List: "more"})
	if busy := checkpointBusy(); busy != 1 {
		t.Errorf("checkpoint while the snapshot is held: busy = %d; want 1", busy)
	}
	release()
	if busy := checkpointBusy(); busy != 0 {
		t.Errorf("checkpoint after the release: busy = %d; want 0", busy)
	}
}

package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestLedgerCountsBuffered checks that a sender's buffered commits hold
// their counts back until a flush, a full buffer or the campaign's next
// run after its process died, and that each way the counts end as a
// recount and 0014's triggers have them.
func TestLedgerCountsBuffered(t *testing.T) {
	ctx := context.Background()
	e := newCountsEnv(t)
	e.hint = rightHints
	const bufferCommits = 32
	sqlite.SetBufferCommits(e.s, bufferCommits)
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sqlite.SetBufferClock(e.s, func() time.Time { return clock })
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	unflushed := func(c int, want bool) {
		t.Helper()
		u, err := sqlite.CountsUnflushed(ctx, e.s, e.c[c].ID)
		if err != nil || u != want {
			t.Fatalf("campaign marked unflushed: %v, %v; want %v", u, err, want)
		}
	}

	// Held back: the deliveries moved, the counts not yet.
	e.applyBuffered(t, e.begin(0, 0), e.begin(0, 1), e.begin(0, 2), e.op(subscribers.OpSent, 0, 0, at), e.op(subscribers.OpFailed, 0, 1, at))
	if err := e.s.CheckCampaignCounts(ctx); err == nil {
		t.Fatal("counts already written after 5 buffered commits")
	}
	unflushed(0, true)
	if err := e.s.FlushLedgerCounts(ctx); err != nil {
		t.Fatal(err)
	}
	unflushed(0, false)
	e.check(t, "a flush")

	// A full buffer is written with the commit that fills it.
	var ops []subscribers.LedgerOp
	for i := 3; i < 12; i++ {
		ops = append(ops, e.begin(1, i), e.op(subscribers.OpSent, 1, i, at.Add(time.Duration(i)*time.Minute)))
	}
	for i := 3; i < 12; i++ {
		ops = append(ops, e.begin(0, i), e.op(subscribers.OpDeferred, 0, i, at))
	}
	if len(ops) < bufferCommits {
		t.Fatalf("%d commits do not fill the buffer of %d", len(ops), bufferCommits)
	}
	e.applyBuffered(t, ops[:bufferCommits]...)
	e.check(t, "a full buffer")
	e.applyBuffered(t, ops[bufferCommits:]...)
	if err := e.s.FlushLedgerCounts(ctx); err != nil {
		t.Fatal(err)
	}
	e.check(t, "the rest")

	// A buffer as old as bufferAge is written with the next commit.
	e.applyBuffered(t, e.op(subscribers.OpFailed, 0, 3, at))
	unflushed(0, true)
	clock = clock.Add(sqlite.BufferAge - time.Millisecond)
	e.applyBuffered(t, e.op(subscribers.OpFailed, 0, 4, at))
	unflushed(0, true)
	clock = clock.Add(time.Millisecond)
	e.applyBuffered(t, e.op(subscribers.OpFailed, 0, 5, at))
	unflushed(0, false)
	e.check(t, "an old buffer")

	// A process that dies loses what it held back; the campaign's next
	// run counts it again, recovering the delivery left sending.
	e.applyBuffered(t, e.begin(1, 0), e.begin(1, 1), e.op(subscribers.OpSent, 1, 0, at), e.op(subscribers.OpFailed, 1, 1, at.Add(time.Minute)),
		e.op(subscribers.OpSent, 0, 2, at), e.begin(1, 2))
	sqlite.DropLedgerBuffer(e.s)
	if err := e.s.CheckCampaignCounts(ctx); err == nil {
		t.Fatal("counts right although the buffer was lost")
	}
	unflushed(1, true)
	if n, err := e.s.StartCampaignRun(ctx, e.c[1].ID); err != nil || n != 1 {
		t.Fatalf("StartCampaignRun = %d, %v; want 1 recovered", n, err)
	}
	unflushed(1, false)
	if err := e.s.CheckCampaignCounts(ctx); err == nil {
		t.Fatal("the other campaign's lost counts are right before its next run")
	}
	if _, err := e.s.StartCampaignRun(ctx, e.c[0].ID); err != nil {
		t.Fatal(err)
	}
	e.check(t, "the next run after the process died")
}

// TestRestoreCountsHeldBackCountsAgain checks that a backup taken while a
// sender held counts back restores with its counts counted again.
func TestRestoreCountsHeldBackCountsAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlite.Open(ctx, filepath.Join(dir, "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed := sqlitetest.Seed(t, s, sqlitetest.SeedConfig{N: 6, Campaign: &subscribers.NewCampaign{Slug: "c", Subject: "s"}})
	ds, err := s.NextQueued(ctx, seed.Campaign.ID, 0, 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds[:4] {
		ops := []subscribers.LedgerOp{{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: seed.List.ID}, {Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250}}
		for _, op := range ops {
			if _, err := s.ApplyLedgerBuffered(ctx, []subscribers.LedgerOp{op}); err != nil {
				t.Fatal(err)
			}
		}
	}
	bak := filepath.Join(dir, "mid.db")
	if _, err := sqlite.Backup(ctx, filepath.Join(dir, "live.db"), bak, sqlite.BackupOptions{}); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(dir, "restored.db")
	if _, err := sqlite.Restore(ctx, bak, restored, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := sqlite.Open(ctx, restored)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.CheckCampaignCounts(ctx); err != nil {
		t.Error(err)
	}
	if u, err := sqlite.CountsUnflushed(ctx, r, seed.Campaign.ID); err != nil || u {
		t.Errorf("restored campaign marked unflushed: %v, %v", u, err)
	}
	if st, err := r.FindCampaignStats(ctx, seed.Campaign.ID); err != nil || st.Sent != 4 {
		t.Errorf("restored campaign stats: %+v, %v; want 4 sent", st, err)
	}
}

// TestCancelCountsHeldBackCountsAgain: a campaign whose run died holding
// counts back is counted again when it is cancelled, as its next run
// would have counted it; one whose counts this store holds has them
// written first, and counted once.
func TestCancelCountsHeldBackCountsAgain(t *testing.T) {
	ctx := context.Background()
	e := newCountsEnv(t)
	e.hint = rightHints
	at := time.Date(2026, 3, 1, 10, 0, 30, 0, time.UTC)
	e.applyBuffered(t, e.begin(0, 0), e.op(subscribers.OpSent, 0, 0, at), e.begin(0, 1), e.op(subscribers.OpFailed, 0, 1, at), e.begin(0, 2))
	sqlite.DropLedgerBuffer(e.s)
	if err := e.s.CheckCampaignCounts(ctx); err == nil {
		t.Fatal("counts right although the buffer was lost")
	}
	if n, err := e.s.CancelCampaign(ctx, e.c[0].ID); err != nil || n != 10 {
		t.Fatalf("CancelCampaign = %d, %v; want 10 skipped", n, err)
	}
	if u, err := sqlite.CountsUnflushed(ctx, e.s, e.c[0].ID); err != nil || u {
		t.Fatalf("cancelled campaign marked unflushed: %v, %v", u, err)
	}
	e.check(t, "cancelling a campaign whose run died")

	// This store's own held counts: written, then the cancel's.
	e.applyBuffered(t, e.begin(1, 0), e.op(subscribers.OpSent, 1, 0, at), e.begin(1, 1))
	if n, err := e.s.CancelCampaign(ctx, e.c[1].ID); err != nil || n != 11 {
		t.Fatalf("CancelCampaign = %d, %v; want 11 skipped", n, err)
	}
	if err := e.s.FlushLedgerCounts(ctx); err != nil {
		t.Fatal(err)
	}
	e.check(t, "cancelling a campaign this store holds counts of")
}

// TestLedgerCountsBufferedTakenOver: a process that held counts back, was
// stopped long enough for another to take its campaign over, and came
// back, does not count twice what the other counted again; what it
// committed after coming back is counted when the other's run ends.
func TestLedgerCountsBufferedTakenOver(t *testing.T) {
	ctx := context.Background()
	e := newCountsEnv(t)
	e.hint = rightHints
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	sqlite.SetBufferClock(e.s, func() time.Time { return clock })
	at := clock.Add(30 * time.Second)
	c := e.c[0].ID

	// The first process holds back a send and a begin.
	e.applyBuffered(t, e.begin(0, 0), e.begin(0, 1), e.op(subscribers.OpSent, 0, 0, at))
	// The other takes the campaign over: it recovers the delivery left
	// sending and counts the campaign again, from its deliveries.
	other, err := sqlite.Open(ctx, e.s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if n, err := other.StartCampaignRun(ctx, c); err != nil || n != 1 {
		t.Fatalf("StartCampaignRun = %d, %v; want 1 recovered", n, err)
	}
	// The first comes back: its last result lands (on the delivery the
	// other queued again), and it writes what it held.
	e.applyBuffered(t, e.op(subscribers.OpSent, 0, 1, at))
	if err := e.s.FlushLedgerCounts(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := e.s.FindCampaignStats(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent > 2 {
		t.Fatalf("%d sent counted for 2 sent deliveries: the held counts were written on top of the recount", st.Sent)
	}
	if u, err := sqlite.CountsUnflushed(ctx, e.s, c); err != nil || !u {
		t.Fatalf("campaign marked for a recount: %v, %v; want marked", u, err)
	}
	// The other's run ends and counts it again.
	if err := other.EndCampaignRun(ctx, c, time.Second, subscribers.CampaignSending, ""); err != nil {
		t.Fatal(err)
	}
	if u, err := sqlite.CountsUnflushed(ctx, e.s, c); err != nil || u {
		t.Fatalf("campaign still marked after its run ended: %v, %v", u, err)
	}
	e.check(t, "the taken-over run's end")
}

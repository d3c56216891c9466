package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// BenchmarkLedgerCounts measures the ledger with the campaign counts it
// keeps (countMoves; before migration 0022, triggers kept them row by
// row): each message's begin and sent, 250 messages to a transaction so
// that the statements, not the commit's fsync, are what is timed, to
// recipients over 50 domains. It reports CPU time per message as well as
// wall time, and checks the counts at the end. Run with:
//
//	go test ./sqlite -run '^$' -bench LedgerCounts -benchtime 20000x -count 3
func BenchmarkLedgerCounts(b *testing.B) {
	ctx := context.Background()
	n := max(b.N, 1000)
	s, l, _, ds := queuedCampaign(b, n, func(i int) string { return fmt.Sprintf("u%d@d%d.example", i, i%50) })
	now := time.Now()
	const batch = 250
	ops := make([]subscribers.LedgerOp, 0, 2*batch)
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i += batch {
		ops = ops[:0]
		for j := i; j < min(i+batch, b.N); j++ {
			ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: ds[j].ID, ListID: l.ID, At: now},
				subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: ds[j].ID, At: now, SMTPCode: 250, Relay: "r"})
		}
		if _, err := s.ApplyLedger(ctx, ops); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// CPU time, unlike wall time, stays meaningful on a busy machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
	if err := s.CheckCampaignCounts(ctx); err != nil {
		b.Fatal(err)
	}
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// queuedCampaign imports n subscribers, whose addresses email gives, into
// the list "l" of a new store, and creates a campaign to them; it returns
// the store, the list, the campaign and its queued deliveries.
func queuedCampaign(b testing.TB, n int, email func(i int) string) (*sqlite.Store, *subscribers.List, *subscribers.Campaign, []subscribers.Delivery) {
	b.Helper()
	ctx := context.Background()
	s := mustOpen(b)
	var csv strings.Builder
	csv.WriteString("email\n")
	for i := range n {
		csv.WriteString(email(i) + "\n")
	}
	if _, err := csvimport.Import(ctx, s, "x.csv", strings.NewReader(csv.String()), subscribers.ImportConfig{List: "l"}); err != nil {
		b.Fatal(err)
	}
	l, _ := s.FindListByName(ctx, "l")
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "x", ListID: l.ID, Subject: "s", IssuePath: "x", Snapshot: []byte("{}")})
	if err != nil {
		b.Fatal(err)
	}
	ds, err := s.NextQueued(ctx, c.ID, 0, n)
	if err != nil {
		b.Fatal(err)
	}
	return s, l, c, ds
}

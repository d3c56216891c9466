package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// BenchmarkLedgerPair measures one worker's commit per message: the result
// of the previous delivery and the begin of the next, in one transaction,
// to recipients over 97 domains; hinted, the ops say where they count, as
// the mailer's do; buffered, the counts wait as the sender's do
// (ApplyLedgerBuffered).
func BenchmarkLedgerPair(b *testing.B) {
	b.Run("unhinted", func(b *testing.B) { benchmarkLedgerPair(b, false, false) })
	b.Run("hinted", func(b *testing.B) { benchmarkLedgerPair(b, true, false) })
	b.Run("buffered", func(b *testing.B) { benchmarkLedgerPair(b, true, true) })
}

func benchmarkLedgerPair(b *testing.B, hinted, buffered bool) {
	ctx := context.Background()
	n := max(b.N+1, 1000)
	s, l, c, ds := queuedCampaign(b, n, func(i int) string { return fmt.Sprintf("u%d@example%d.com", i, i%97) })
	now := time.Now()
	if _, err := s.ApplyLedger(ctx, []subscribers.LedgerOp{{Kind: subscribers.OpBegin, DeliveryID: ds[0].ID, ListID: l.ID, At: now}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	defer func() {
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	}()
	for i := 0; i < b.N; i++ {
		ops := []subscribers.LedgerOp{
			{Kind: subscribers.OpSent, DeliveryID: ds[i].ID, At: now, SMTPCode: 250, Relay: "r"},
			{Kind: subscribers.OpBegin, DeliveryID: ds[i+1].ID, ListID: l.ID, At: now},
		}
		if hinted {
			for j, d := range []subscribers.Delivery{ds[i], ds[i+1]} {
				ops[j].CampaignID, ops[j].Domain = c.ID, subscribers.ReportDomain(d.Email)
			}
		}
		apply := s.ApplyLedger
		if buffered {
			apply = s.ApplyLedgerBuffered
		}
		res, err := apply(ctx, ops)
		if err != nil || res[1] != nil {
			b.Fatal(err, res)
		}
	}
}

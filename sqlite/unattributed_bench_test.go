package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// BenchmarkAddressOnlyBounce measures the address rule's lookup (was the
// address mailed within the window?) against a year of weekly campaigns to
// 10,000 subscribers: 520,000 deliveries, none indexed by subscriber, with
// the last campaign inside the window (the bounce applies) or outside it
// (it is recorded as unattributed). Each op is one committed transaction.
func BenchmarkAddressOnlyBounce(b *testing.B) {
	ctx := context.Background()
	s := mustOpen(b)
	const subs, weeks = 10_000, 52
	var csv strings.Builder
	csv.WriteString("email\n")
	for i := range subs {
		fmt.Fprintf(&csv, "u%d@example.com\n", i)
	}
	if _, err := csvimport.Import(ctx, s, "x.csv", strings.NewReader(csv.String()), subscribers.ImportConfig{List: "l"}); err != nil {
		b.Fatal(err)
	}
	l, _ := s.FindListByName(ctx, "l")
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)
	for w := range weeks {
		at := start.Add(time.Duration(w) * 7 * 24 * time.Hour)
		s.Now = func() time.Time { return at }
		c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: fmt.Sprint(w), ListID: l.ID, Subject: "s", IssuePath: "x", Snapshot: []byte("{}")})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := sqlite.DB(s).ExecContext(ctx, `UPDATE deliveries SET status = 'sent', sent_at = ? WHERE campaign_id = ?`,
			at.Format("2006-01-02T15:04:05.000000Z"), c.ID); err != nil {
			b.Fatal(err)
		}
		if err := s.EndCampaignRun(ctx, c.ID, time.Hour, subscribers.CampaignFinished, ""); err != nil {
			b.Fatal(err)
		}
	}
	last := start.Add(time.Duration(weeks-1) * 7 * 24 * time.Hour)
	for _, bc := range []struct {
		name    string
		since   time.Duration // since the last campaign
		applied bool
	}{
		{"MailedThreeDaysAgo", 3 * 24 * time.Hour, true},
		{"MailedTwentyDaysAgo", 20 * 24 * time.Hour, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			now := last.Add(bc.since)
			s.Now = func() time.Time { return now }
			for i := 0; i < b.N; i++ {
				res, err := s.RecordBounce(ctx, subscribers.Bounce{Email: fmt.Sprintf("u%d@example.com", i%subs), Kind: subscribers.BounceSoft,
					Source: "bench", Key: fmt.Sprint(bc.name, i)}, subscribers.BouncePolicy{})
				if err != nil || (res.Unattributed == "") != bc.applied {
					b.Fatal(res, err)
				}
			}
		})
	}
}

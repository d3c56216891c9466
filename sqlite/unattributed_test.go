package sqlite_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// sendTo runs a one-recipient campaign's ledger to "sent" for each address
// at the store's current time, as a real send would.
func sendTo(t *testing.T, s *sqlite.Store, list string, emails ...string) {
	t.Helper()
	ctx := context.Background()
	l, err := s.FindListByName(ctx, list)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "issue", ListID: l.ID, Subject: "S", IssuePath: "i.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.NextQueued(ctx, c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, e := range emails {
		want[e] = true
	}
	var ops []subscribers.LedgerOp
	for _, d := range ds {
		if want[d.Email] {
			ops = append(ops, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: l.ID},
				subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
		}
	}
	if len(ops) != 2*len(emails) {
		t.Fatalf("campaign has deliveries for %d of %d addresses", len(ops)/2, len(emails))
	}
	if _, err := s.ApplyLedger(ctx, ops); err != nil {
		t.Fatal(err)
	}
	if err := s.EndCampaignRun(ctx, c.ID, time.Second, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
}

func unattributedCount(t *testing.T, s *sqlite.Store) int {
	t.Helper()
	rs, err := s.UnattributedReports(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

// TestAddressOnlyBounceRule: a report tied to no delivery suppresses only
// an address that was mailed within the window, and only when the report
// names few recipients; anything else is recorded for review and changes
// no one.
func TestAddressOnlyBounceRule(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		sentAgo    time.Duration // 0: never sent
		recipients int
		email      string
		want       subscribers.Status
		wantWhy    string // "" when applied
	}{
		{name: "NeverSent", email: "a@example.com", want: subscribers.StatusActive, wantWhy: "not sent a message within 14 days"},
		{name: "SentYesterday", sentAgo: day, email: "A@Example.com", want: subscribers.StatusBounced},
		{name: "SentWithinWindow", sentAgo: 13 * day, email: "a@example.com", want: subscribers.StatusBounced},
		{name: "SentBeforeWindow", sentAgo: 15 * day, email: "a@example.com", want: subscribers.StatusActive, wantWhy: "not sent a message within 14 days"},
		{name: "FiveRecipients", sentAgo: day, recipients: 5, email: "a@example.com", want: subscribers.StatusBounced},
		{name: "SixRecipients", sentAgo: day, recipients: 6, email: "a@example.com", want: subscribers.StatusActive, wantWhy: "names 6 recipients"},
		{name: "UnknownAddress", sentAgo: day, email: "nobody@example.com", want: subscribers.StatusActive, wantWhy: "no subscriber has the reported address"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := mustOpen(t)
			now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
			s.Now = func() time.Time { return now }
			for _, e := range []string{"a@example.com", "b@example.com"} {
				if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"news"}}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.sentAgo > 0 {
				now = now.Add(-tc.sentAgo)
				sendTo(t, s, "news", "a@example.com")
				now = now.Add(tc.sentAgo)
			}
			b := subscribers.Bounce{Email: tc.email, Kind: subscribers.BounceHard, Status: "5.1.1", Source: "mail",
				Key: "report-1", ReportRecipients: tc.recipients}
			res, err := s.RecordBounce(ctx, b, subscribers.BouncePolicy{})
			if err != nil {
				t.Fatal(err)
			}
			if got := mustFind(t, s, "a@example.com").Status; got != tc.want {
				t.Errorf("status = %s; want %s", got, tc.want)
			}
			if !strings.Contains(res.Unattributed, tc.wantWhy) || (tc.wantWhy == "") != (res.Unattributed == "") {
				t.Errorf("Unattributed = %q; want %q", res.Unattributed, tc.wantWhy)
			}
			wantRows := 0
			if tc.wantWhy != "" {
				wantRows = 1
			}
			if n := unattributedCount(t, s); n != wantRows {
				t.Errorf("%d unattributed reports; want %d", n, wantRows)
			}
			// Processing the same report again changes nothing.
			again, err := s.RecordBounce(ctx, b, subscribers.BouncePolicy{})
			if err != nil || !again.Duplicate {
				t.Errorf("second RecordBounce = %+v, %v; want a duplicate", again, err)
			}
			if n := unattributedCount(t, s); n != wantRows {
				t.Errorf("%d unattributed reports after a repeat; want %d", n, wantRows)
			}
		})
	}
}

// TestAddressMatchWindowConfigurable: the policy's window and recipient
// limit replace the defaults.
func TestAddressMatchWindowConfigurable(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "a@example.com", Lists: []string{"news"}}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(-3 * time.Hour)
	sendTo(t, s, "news", "a@example.com")
	now = now.Add(3 * time.Hour)
	p := subscribers.BouncePolicy{AddressMatchWindow: 2 * time.Hour, MaxAddressRecipients: 1}
	res, err := s.RecordBounce(ctx, subscribers.Bounce{Email: "a@example.com", Kind: subscribers.BounceComplaint, Source: "t", Key: "k1"}, p)
	if err != nil || !strings.Contains(res.Unattributed, "within 2h") {
		t.Fatalf("complaint 3h after the send with a 2h window: %+v, %v; want unattributed", res, err)
	}
	p.AddressMatchWindow = 4 * time.Hour
	res, err = s.RecordBounce(ctx, subscribers.Bounce{Email: "a@example.com", Kind: subscribers.BounceComplaint, Source: "t", Key: "k2", ReportRecipients: 2}, p)
	if err != nil || !strings.Contains(res.Unattributed, "at most 1") {
		t.Fatalf("two-recipient complaint with a limit of 1: %+v, %v; want unattributed", res, err)
	}
	res, err = s.RecordBounce(ctx, subscribers.Bounce{Email: "a@example.com", Kind: subscribers.BounceComplaint, Source: "t", Key: "k3"}, p)
	if err != nil || res.Suppressed != subscribers.StatusComplained {
		t.Fatalf("complaint within a 4h window: %+v, %v; want complained", res, err)
	}
}

// TestUnattributedStaysUnattributed: a report first recorded as
// unattributed is not applied when processed again after the address has
// been mailed (a forged report kept in the mailbox must not wait for the
// next campaign).
func TestUnattributedStaysUnattributed(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "a@example.com", Lists: []string{"news"}}); err != nil {
		t.Fatal(err)
	}
	b := subscribers.Bounce{Email: "a@example.com", Kind: subscribers.BounceHard, Source: "mail", Key: "forged"}
	if res, err := s.RecordBounce(ctx, b, subscribers.BouncePolicy{}); err != nil || res.Unattributed == "" {
		t.Fatalf("first: %+v, %v; want unattributed", res, err)
	}
	sendTo(t, s, "news", "a@example.com")
	res, err := s.RecordBounce(ctx, b, subscribers.BouncePolicy{})
	if err != nil || res.Unattributed == "" || !res.Duplicate {
		t.Fatalf("again after a send: %+v, %v; want an unattributed duplicate", res, err)
	}
	if got := mustFind(t, s, "a@example.com").Status; got != subscribers.StatusActive {
		t.Errorf("status = %s; want active", got)
	}
	// A new report about a real delivery does apply.
	b.Key = "genuine"
	if res, err := s.RecordBounce(ctx, b, subscribers.BouncePolicy{}); err != nil || res.Suppressed != subscribers.StatusBounced {
		t.Fatalf("new report: %+v, %v; want bounced", res, err)
	}
}

// TestRecordUnattributedReport: a whole report is kept once, with a bounded
// sample of its addresses, and removing a subscriber removes the reports
// that name them.
func TestRecordUnattributedReport(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "x3@example.com", Lists: []string{"news"}}); err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for i := range 10_000 {
		addrs = append(addrs, "X"+strconv.Itoa(i)+"@Example.com")
	}
	r := subscribers.UnattributedReport{Kind: subscribers.BounceHard, Source: "mail", Key: "big", Reason: "too many",
		Recipients: len(addrs), Addresses: addrs, Status: "5.1.1", Detail: "test"}
	for i, wantDup := range []bool{false, true} {
		dup, err := s.RecordUnattributed(ctx, r)
		if err != nil || dup != wantDup {
			t.Fatalf("record %d: duplicate=%v, %v; want %v", i+1, dup, err, wantDup)
		}
	}
	rs, err := s.UnattributedReports(ctx, time.Time{}, 0)
	if err != nil || len(rs) != 1 {
		t.Fatalf("reports = %d, %v; want 1", len(rs), err)
	}
	got := rs[0]
	if got.Recipients != 10_000 || len(got.Addresses) != 20 || got.Addresses[3] != "x3@example.com" || got.Reason != "too many" {
		t.Errorf("report = %d recipients, %d addresses (%v), reason %q", got.Recipients, len(got.Addresses), got.Addresses[:4], got.Reason)
	}
	if _, err := s.RecordUnattributed(ctx, subscribers.UnattributedReport{Kind: "bogus", Source: "x"}); err == nil {
		t.Error("a report of kind bogus was recorded")
	}
	if err := s.RemoveSubscriber(ctx, "x3@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	if n := unattributedCount(t, s); n != 0 {
		t.Errorf("%d unattributed reports name a removed subscriber; want 0", n)
	}
}

package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// failedCampaign makes a campaign to six subscribers whose deliveries
// failed, one per way of failing, and one sent.
func failedCampaign(t *testing.T) (*sqlite.Store, *subscribers.Campaign, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	s := mustOpen(t)
	names := []string{"sent", "gaveup", "busy", "hard", "refused", "invalid"}
	for _, n := range names {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: n + "@example.com", Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "weekly", ListID: list.ID, Subject: "S", IssuePath: "w.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, n := range names {
		sub := mustFind(t, s, n+"@example.com")
		var id int64
		sqlite.DB(s).QueryRow(`SELECT id FROM deliveries WHERE campaign_id = ? AND subscriber_id = ?`, c.ID, sub.ID).Scan(&id)
		ids[n] = id
	}
	results := map[string]subscribers.LedgerOp{
		"sent":    {Kind: subscribers.OpSent, SMTPCode: 250},
		"gaveup":  {Kind: subscribers.OpFailed, Error: subscribers.GaveUpPrefix + "3 attempts: connect: connection refused"},
		"busy":    {Kind: subscribers.OpFailed, SMTPCode: 451, Error: "rcpt to: 451 4.3.0 try later"},
		"hard":    {Kind: subscribers.OpFailed, SMTPCode: 550, Error: "rcpt to: 550 5.1.1 user unknown"},
		"refused": {Kind: subscribers.OpFailed, SMTPCode: 554, Error: "end of data: 554 5.7.1 spam"},
		"invalid": {Kind: subscribers.OpFailed, Error: "build message: bad address"},
	}
	for n, op := range results {
		op.DeliveryID = ids[n]
		if _, err := s.ApplyLedger(ctx, []subscribers.LedgerOp{{Kind: subscribers.OpBegin, DeliveryID: ids[n], ListID: list.ID}, op}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: mustFind(t, s, "hard@example.com").ID, CampaignID: c.ID,
		DeliveryID: ids["hard"], Kind: subscribers.BounceHard, Status: "5.1.1", Reason: "user unknown", Source: "smtp",
		Key: fmt.Sprintf("smtp:%d:1", ids["hard"])}, subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	return s, c, ids
}

func TestFindFailedDeliveriesSaysWhy(t *testing.T) {
	s, c, _ := failedCampaign(t)
	got, err := s.FindFailedDeliveries(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]subscribers.FailureKind{"gaveup@example.com": subscribers.FailTemporary,
		"busy@example.com": subscribers.FailTemporary, "hard@example.com": subscribers.FailBounce,
		"refused@example.com": subscribers.FailRefused, "invalid@example.com": subscribers.FailInvalid}
	if len(got) != len(want) {
		t.Fatalf("%d failed deliveries; want %d: %+v", len(got), len(want), got)
	}
	for _, f := range got {
		if f.Kind != want[f.Email] || f.Retryable() != (want[f.Email] == subscribers.FailTemporary) {
			t.Errorf("%s failed as %s (retryable %v); want %s", f.Email, f.Kind, f.Retryable(), want[f.Email])
		}
		if f.Error == "" || f.Attempts != 1 || f.FailedAt.IsZero() {
			t.Errorf("%s: %+v; want the reason, the attempts and when", f.Email, f)
		}
	}
}

// TestRetryFailedRequeuesOnlyTemporaryFailures: the two temporary failures
// are queued again with fresh attempts and the campaign reopens; the
// bounce, the refusal and the invalid message stay failed and are counted;
// a second retry changes nothing.
func TestRetryFailedRequeuesOnlyTemporaryFailures(t *testing.T) {
	s, c, ids := failedCampaign(t)
	ctx := context.Background()
	if err := s.EndCampaignRun(ctx, c.ID, 0, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
	res, err := s.RetryFailed(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requeued != 2 || res.Kept[subscribers.FailBounce] != 1 || res.Kept[subscribers.FailRefused] != 1 ||
		res.Kept[subscribers.FailInvalid] != 1 {
		t.Errorf("retry = %+v; want 2 re-queued, 1 bounce, 1 refused and 1 invalid kept", res)
	}
	for n, want := range map[string]subscribers.DeliveryStatus{"gaveup": subscribers.DeliveryQueued, "busy": subscribers.DeliveryQueued,
		"hard": subscribers.DeliveryFailed, "refused": subscribers.DeliveryFailed, "invalid": subscribers.DeliveryFailed,
		"sent": subscribers.DeliverySent} {
		d, err := s.FindDelivery(ctx, ids[n])
		if err != nil {
			t.Fatal(err)
		}
		if d.Status != want || (want == subscribers.DeliveryQueued && d.Attempts != 0) {
			t.Errorf("%s is %s after %d attempts; want %s", n, d.Status, d.Attempts, want)
		}
	}
	got, err := s.FindCampaignByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != subscribers.CampaignSending || !got.FinishedAt.IsZero() {
		t.Errorf("campaign is %s, finished %v; want sending again", got.Status, got.FinishedAt)
	}
	next, err := s.NextQueued(ctx, c.ID, 0, 10)
	if err != nil || len(next) != 2 {
		t.Errorf("NextQueued = %d, %v; want the 2 re-queued", len(next), err)
	}
	again, err := s.RetryFailed(ctx, c.ID)
	if err != nil || again.Requeued != 0 {
		t.Errorf("second retry = %+v, %v; want nothing re-queued", again, err)
	}
}

// TestRetryLeavesRemovedPeopleFailed: a person erased after their
// delivery failed for a temporary reason is not queued again by a retry
// (there is no one to send to), is counted as kept under "removed", and
// the campaign's per-domain counts, which took the failure under the
// person's domain, stay right.
func TestRetryLeavesRemovedPeopleFailed(t *testing.T) {
	s, c, ids := failedCampaign(t)
	ctx := context.Background()
	if err := s.RemoveSubscriber(ctx, "gaveup@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	before, err := s.FindCampaignReport(ctx, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.FindFailedDeliveries(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range got {
		if f.DeliveryID == ids["gaveup"] && (f.Kind != subscribers.FailRemoved || f.Retryable()) {
			t.Errorf("the removed person's failure is %s (retryable %v); want removed, not retryable", f.Kind, f.Retryable())
		}
	}
	res, err := s.RetryFailed(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requeued != 1 || res.Kept[subscribers.FailRemoved] != 1 {
		t.Errorf("retry = %+v; want busy re-queued and the removed person kept", res)
	}
	d, err := s.FindDelivery(ctx, ids["gaveup"])
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != subscribers.DeliveryFailed {
		t.Errorf("the removed person's delivery is %s; want failed", d.Status)
	}
	after, err := s.FindCampaignReport(ctx, c.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var failed int64
	for _, dc := range after.Domains {
		if dc.Domain == "" || dc.Failed < 0 {
			t.Errorf("domain %+v after the retry; want no count under no domain, none negative", dc)
		}
		failed += int64(dc.Failed)
	}
	var was int64
	for _, dc := range before.Domains {
		was += int64(dc.Failed)
	}
	if failed != was-1 {
		t.Errorf("%d failures by domain after the retry; want %d (only busy's taken back)", failed, was-1)
	}
	if p := closedInvariants(t, s); len(p) != 0 {
		t.Errorf("after retrying around a removed person the database breaks %v", p)
	}
}

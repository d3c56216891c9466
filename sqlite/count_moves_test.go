package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// countsEnv is two campaigns to the same 12 subscribers over three domains
// (one written in capitals), with 0014's triggers keeping a reference copy
// of the counts beside the ledger's own.
type countsEnv struct {
	s    *sqlite.Store
	list *subscribers.List
	c    [2]*subscribers.Campaign
	ds   [2][]subscribers.Delivery
	hint hintMode
}

// hintMode is what the env's ops say about where their deliveries count.
type hintMode int

const (
	noHints hintMode = iota
	rightHints
	wrongCampaign // the other campaign's
	otherDomain   // the address's domain when read, since changed
)

func (h hintMode) String() string {
	return [...]string{"no hints", "right hints", "wrong campaign", "other domain"}[h]
}

// hinted is op with the env's kind of hint for delivery i of campaign c.
func (e *countsEnv) hinted(op subscribers.LedgerOp, c, i int) subscribers.LedgerOp {
	if e.hint == noHints {
		return op
	}
	op.CampaignID, op.Domain = e.c[c].ID, subscribers.ReportDomain(e.ds[c][i].Email)
	switch e.hint {
	case wrongCampaign:
		op.CampaignID = e.c[1-c].ID
	case otherDomain:
		op.Domain = "elsewhere.example"
	}
	return op
}

func newCountsEnv(t *testing.T) *countsEnv {
	t.Helper()
	ctx := context.Background()
	s := mustOpen(t)
	if err := sqlite.InstallReferenceCounts(ctx, s); err != nil {
		t.Fatal(err)
	}
	domains := []string{"a.example", "B.Example", "c.example"}
	for i := range 12 {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("r%d@%s", i, domains[i%3]), Lists: []string{"news"}}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.FindListByName(ctx, "news")
	if err != nil {
		t.Fatal(err)
	}
	e := &countsEnv{s: s, list: l}
	for i := range e.c {
		c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: fmt.Sprintf("issue-%d", i), ListID: l.ID, Subject: "S", IssuePath: "i.md", Snapshot: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		e.c[i] = c
		if e.ds[i], err = s.NextQueued(ctx, c.ID, 0, 100); err != nil || len(e.ds[i]) != 12 {
			t.Fatalf("NextQueued = %d, %v; want 12", len(e.ds[i]), err)
		}
	}
	return e
}

// check fails the test unless the kept counts equal both a recount and
// what 0014's triggers made of the same changes.
func (e *countsEnv) check(t *testing.T, step string) {
	t.Helper()
	ctx := context.Background()
	if err := e.s.CheckCampaignCounts(ctx); err != nil {
		t.Fatalf("after %s: %v", step, err)
	}
	if err := sqlite.CompareReferenceCounts(ctx, e.s); err != nil {
		t.Fatalf("after %s: %v", step, err)
	}
}

func (e *countsEnv) begin(c, i int) subscribers.LedgerOp {
	return e.hinted(subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: e.ds[c][i].ID, ListID: e.list.ID}, c, i)
}

// op is an op of kind on delivery i of campaign c at t.
func (e *countsEnv) op(kind subscribers.LedgerOpKind, c, i int, t time.Time) subscribers.LedgerOp {
	return e.hinted(subscribers.LedgerOp{Kind: kind, DeliveryID: e.ds[c][i].ID, At: t, SMTPCode: 250, NextAttempt: t.Add(time.Hour), Error: "x"}, c, i)
}

// applyBuffered applies each op in a commit of its own, as a sender's
// buffered ledger does.
func (e *countsEnv) applyBuffered(t *testing.T, ops ...subscribers.LedgerOp) {
	t.Helper()
	for _, op := range ops {
		if _, err := e.s.ApplyLedgerBuffered(context.Background(), []subscribers.LedgerOp{op}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *countsEnv) apply(t *testing.T, ops ...subscribers.LedgerOp) []error {
	t.Helper()
	res, err := e.s.ApplyLedger(context.Background(), ops)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestCountMovesMatchTheTriggers drives the ledger in batches that mix
// campaigns, minutes, domains and every kind of op, including ops on
// deliveries in a status the op does not expect, and then the bulk moves
// (recovery, retry, cancel), and checks after each that the counts the
// ledger keeps in Go are the ones 0014's triggers kept row by row. It
// runs without hints, with right ones (the ledger then reads no places)
// and with a wrong campaign, which must cost no count; and each way with the
// per-minute and per-domain changes left pending in campaign_counts
// (count_pending.go) and folded into their tables at every commit.
func TestCountMovesMatchTheTriggers(t *testing.T) {
	for _, h := range []hintMode{noHints, rightHints, wrongCampaign} {
		for _, fold := range []bool{false, true} {
			name := h.String() + ", pending"
			if fold {
				name = h.String() + ", folded"
			}
			t.Run(name, func(t *testing.T) { testCountMovesMatchTheTriggers(t, h, fold) })
		}
	}
}

func testCountMovesMatchTheTriggers(t *testing.T, h hintMode, fold bool) {
	ctx := context.Background()
	e := newCountsEnv(t)
	e.hint = h
	if fold {
		sqlite.SetFoldPendingAt(e.s, 1)
	}
	defer func() {
		// Both ways were taken: the changes stayed pending, or none did.
		pending, err := sqlite.PendingCounts(ctx, e.s, e.c[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if fold != (pending == "") {
			t.Errorf("folding at every commit: %v; pending counts %q", fold, pending)
		}
	}()
	at := time.Date(2026, 3, 1, 10, 0, 59, 0, time.UTC)
	next := at.Add(time.Second) // the next minute
	e.check(t, "create")

	var begins []subscribers.LedgerOp
	for c := range 2 {
		for i := range 10 {
			begins = append(begins, e.begin(c, i))
		}
	}
	e.apply(t, begins...)
	e.check(t, "begin in both campaigns")

	// One batch: sent in two minutes and three domains, deferred, failed,
	// requeued (the attempt given back: not a deferral), in both campaigns.
	e.apply(t,
		e.op(subscribers.OpSent, 0, 0, at), e.op(subscribers.OpSent, 0, 1, next), e.op(subscribers.OpSent, 0, 2, at),
		e.op(subscribers.OpSent, 1, 0, next), e.op(subscribers.OpSent, 1, 4, at),
		e.op(subscribers.OpDeferred, 0, 3, at), e.op(subscribers.OpDeferred, 1, 1, next),
		e.op(subscribers.OpFailed, 0, 4, next), e.op(subscribers.OpFailed, 1, 2, at), e.op(subscribers.OpFailed, 1, 5, next),
		e.op(subscribers.OpRequeue, 0, 5, at), e.op(subscribers.OpRequeue, 1, 3, next),
	)
	e.check(t, "a mixed batch")

	// Begin and settle in the same batch; a begin that is stale (already
	// sending); postpones of a queued and of a deferred delivery; a
	// possible duplicate.
	d03 := e.delivery(t, 0, 3)
	res := e.apply(t,
		e.begin(0, 10), e.op(subscribers.OpSent, 0, 10, next.Add(time.Minute)),
		e.begin(0, 6),
		func() subscribers.LedgerOp { op := e.op(subscribers.OpPostpone, 0, 11, at); op.Attempts = 0; return op }(),
		func() subscribers.LedgerOp {
			op := e.op(subscribers.OpPostpone, 0, 3, at)
			op.Attempts = d03.Attempts
			return op
		}(),
		func() subscribers.LedgerOp {
			op := e.op(subscribers.OpDeferred, 0, 7, next)
			op.PossibleDuplicate = true
			return op
		}(),
	)
	if res[2] != subscribers.ErrStale {
		t.Fatalf("begin of a sending delivery: %v; want ErrStale", res[2])
	}
	e.check(t, "begin and settle in one batch, stale begin, postpones")

	// Ops on deliveries in a status they do not expect: a sent one failed,
	// a failed one sent, a deferred one failed and one deferred again, a
	// queued one sent (never begun), a delivery that does not exist.
	e.apply(t,
		e.op(subscribers.OpFailed, 0, 0, next), e.op(subscribers.OpSent, 1, 2, next),
		e.op(subscribers.OpFailed, 0, 3, at), e.op(subscribers.OpDeferred, 1, 1, at),
		e.op(subscribers.OpSent, 1, 11, at),
		subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: 1 << 40, At: at},
		// Requeues of a queued delivery (no attempt to give back) and of a
		// failed one; a postpone that finds other attempts does nothing.
		e.op(subscribers.OpRequeue, 1, 10, at), e.op(subscribers.OpRequeue, 1, 5, next),
		func() subscribers.LedgerOp { op := e.op(subscribers.OpPostpone, 1, 7, at); op.Attempts = 5; return op }(),
	)
	e.check(t, "ops on deliveries in other statuses")

	// A subscriber who left: the begin skips the delivery.
	if err := e.s.Unsubscribe(ctx, e.ds[1][10].SubscriberID, e.list.ID, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	if res := e.apply(t, e.begin(1, 10)); res[0] != subscribers.ErrNotSendable {
		t.Fatalf("begin for a subscriber who left: %v; want ErrNotSendable", res[0])
	}
	e.check(t, "a skipped begin")

	// A bounce adds to its domain (a trigger still).
	if _, err := e.s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: e.ds[0][4].SubscriberID, CampaignID: e.c[0].ID, DeliveryID: e.ds[0][4].ID,
		Kind: subscribers.BounceHard, Source: "smtp", Key: "b"}, subscribers.BouncePolicy{}); err != nil {
		t.Fatal(err)
	}
	e.check(t, "bounce")

	// The bulk moves: a dead run's recovery, a retry of failures, a cancel.
	for c := range 2 {
		if _, err := e.s.StartCampaignRun(ctx, e.c[c].ID); err != nil {
			t.Fatal(err)
		}
		e.check(t, fmt.Sprintf("recovery of campaign %d", c))
	}
	// Temporary failures (4xx) are what a retry requeues.
	e.apply(t, e.begin(0, 8))
	failed := e.op(subscribers.OpFailed, 0, 8, at)
	failed.SMTPCode = 421
	e.apply(t, failed)
	if n, err := e.s.RetryFailed(ctx, e.c[0].ID); err != nil || n.Requeued == 0 {
		t.Fatalf("RetryFailed = %+v, %v; want some requeued", n, err)
	}
	e.check(t, "retry")
	if _, err := e.s.CancelCampaign(ctx, e.c[1].ID); err != nil {
		t.Fatal(err)
	}
	e.check(t, "cancel")
}

func (e *countsEnv) delivery(t *testing.T, c, i int) *subscribers.Delivery {
	t.Helper()
	d, err := e.s.FindDelivery(context.Background(), e.ds[c][i].ID)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCountMovesRollBackWithTheBatch checks that a batch that fails leaves
// the kept counts as they were: they are written in its transaction.
func TestCountMovesRollBackWithTheBatch(t *testing.T) {
	ctx := context.Background()
	e := newCountsEnv(t)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e.apply(t, e.begin(0, 0), e.begin(1, 1))
	e.apply(t, e.op(subscribers.OpSent, 0, 0, at))
	before := e.report(t)
	_, err := e.s.ApplyLedger(ctx, []subscribers.LedgerOp{
		e.op(subscribers.OpFailed, 1, 1, at), e.begin(0, 2), e.op(subscribers.OpSent, 0, 2, at.Add(time.Minute)),
		{Kind: subscribers.LedgerOpKind(99), DeliveryID: e.ds[0][3].ID},
	})
	if err == nil {
		t.Fatal("a batch with an unknown op kind was accepted")
	}
	if after := e.report(t); after != before {
		t.Errorf("counts after a failed batch:\n%s\nwant them unchanged:\n%s", after, before)
	}
	e.check(t, "a failed batch")
}

// report is both campaigns' counts, timeline and domains as text.
func (e *countsEnv) report(t *testing.T) string {
	t.Helper()
	var out string
	for _, c := range e.c {
		st, err := e.s.FindCampaignStats(context.Background(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		r, err := e.s.FindCampaignReport(context.Background(), c.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%+v\n%+v\n%+v\n", st, r.Minutes, r.Domains)
	}
	return out
}

// TestReportDomainIsTheStoresDomain: the domain the mailer hints for an
// address is the one the store reads in SQL, so that right hints are taken.
func TestReportDomainIsTheStoresDomain(t *testing.T) {
	s := mustOpen(t)
	for _, email := range []string{"a@example.com", "A@Example.COM", "a@b@Ex.com", "no-at-SIGN", "", "x@", "é@ÉCOLE.Fr", "a@Über.DE"} {
		want, err := sqlite.DomainOf(context.Background(), s, email)
		if err != nil {
			t.Fatal(err)
		}
		if got := subscribers.ReportDomain(email); got != want {
			t.Errorf("ReportDomain(%q) = %q; the store reads %q", email, got, want)
		}
	}
}

// TestResultsCountUnderTheMailedDomain checks that a result counts under
// the domain its op names, the one of the address the sender read and
// mailed, even where the subscriber's address has another now.
func TestResultsCountUnderTheMailedDomain(t *testing.T) {
	ctx := context.Background()
	e := newCountsEnv(t)
	e.hint = otherDomain
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e.apply(t, e.begin(0, 0), e.begin(0, 1))
	e.apply(t, e.op(subscribers.OpSent, 0, 0, at), e.op(subscribers.OpFailed, 0, 1, at))
	r, err := e.s.FindCampaignReport(ctx, e.c[0].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.DomainCount{{Domain: "elsewhere.example", Sent: 1, Failed: 1}}
	if fmt.Sprint(r.Domains) != fmt.Sprint(want) {
		t.Errorf("domains = %+v; want %+v", r.Domains, want)
	}
}

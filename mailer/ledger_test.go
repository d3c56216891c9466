package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// ledgerEnv is a real store with n queued deliveries and a ledger on it.
type ledgerEnv struct {
	*env
	l   *mailer.Ledger
	now time.Time
}

func newLedgerEnv(t *testing.T, n int) *ledgerEnv {
	t.Helper()
	e := newEnv(t, n)
	l := mailer.NewLedger(e.store)
	t.Cleanup(func() { l.Close() })
	return &ledgerEnv{env: e, l: l, now: time.Now().UTC().Truncate(time.Millisecond)}
}

func (le *ledgerEnv) begin(d subscribers.Delivery) error {
	return le.l.Begin(subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: le.list.ID,
		Attempts: d.Attempts, At: le.now})
}

func (le *ledgerEnv) sync(t *testing.T, op subscribers.LedgerOp) {
	t.Helper()
	if op.At.IsZero() {
		op.At = le.now
	}
	if err := le.l.RecordSync(op); err != nil {
		t.Fatal(err)
	}
}

func (le *ledgerEnv) reload(t *testing.T, id int64) subscribers.Delivery {
	t.Helper()
	d, err := le.store.FindDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return *d
}

func expectState(t *testing.T, d subscribers.Delivery, status subscribers.DeliveryStatus, attempts int) {
	t.Helper()
	if d.Status != status || d.Attempts != attempts {
		t.Fatalf("delivery %d is %s after %d attempts; want %s after %d", d.ID, d.Status, d.Attempts, status, attempts)
	}
}

func TestLedgerQueuedSendingSent(t *testing.T) {
	le := newLedgerEnv(t, 1)
	d := le.delivery(t, "user0@example.com")
	expectState(t, d, subscribers.DeliveryQueued, 0)
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	// begin returns only once "sending" is committed: another reader sees it.
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySending, 1)
	le.l.Record(subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, At: le.now, SMTPCode: 250, Relay: "r1"})
	if err := le.l.Close(); err != nil {
		t.Fatal(err)
	}
	got := le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliverySent, 1)
	if got.SMTPCode != 250 || !got.SentAt.Equal(le.now) || got.LastError != "" {
		t.Errorf("sent delivery = code %d at %v error %q; want 250 at %v", got.SMTPCode, got.SentAt, got.LastError, le.now)
	}
	if n, _ := le.store.SentSince(context.Background(), le.now.Add(-time.Second)); n != 1 {
		t.Errorf("SentSince counts %d; want 1 for the caps", n)
	}
}

func TestLedgerDeferredSendingSent(t *testing.T) {
	le := newLedgerEnv(t, 1)
	ctx := context.Background()
	d := le.delivery(t, "user0@example.com")
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	retry := le.now.Add(time.Minute)
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: d.ID, NextAttempt: retry,
		SMTPCode: 451, Error: "451 4.7.1 greylisted"})
	got := le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliveryDeferred, 1)
	if !got.NextAttempt.Equal(retry) || got.SMTPCode != 451 || got.LastError != "451 4.7.1 greylisted" {
		t.Errorf("deferred delivery = next %v code %d error %q", got.NextAttempt, got.SMTPCode, got.LastError)
	}
	if due, _ := le.store.DueDeferred(ctx, le.campaign.ID, le.now, 10); len(due) != 0 {
		t.Errorf("%d deliveries due before their retry time", len(due))
	}
	if next, n, _ := le.store.NextRetry(ctx, le.campaign.ID); n != 1 || !next.Equal(retry) {
		t.Errorf("NextRetry = %v, %d; want %v, 1", next, n, retry)
	}
	due, err := le.store.DueDeferred(ctx, le.campaign.ID, retry, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueDeferred at the retry time = %d, %v; want 1", len(due), err)
	}
	if err := le.begin(due[0]); err != nil {
		t.Fatal(err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySending, 2)
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
	got = le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliverySent, 2)
	if got.LastError != "" {
		t.Errorf("a sent delivery keeps the old error %q", got.LastError)
	}
}

func TestLedgerFailed(t *testing.T) {
	le := newLedgerEnv(t, 1)
	d := le.delivery(t, "user0@example.com")
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: d.ID, SMTPCode: 550, Error: "550 5.1.1 user unknown"})
	got := le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliveryFailed, 1)
	if got.SMTPCode != 550 || got.LastError != "550 5.1.1 user unknown" {
		t.Errorf("failed delivery = code %d error %q", got.SMTPCode, got.LastError)
	}
	if err := le.begin(got); !errors.Is(err, subscribers.ErrStale) {
		t.Errorf("begin on a failed delivery = %v; want ErrStale", err)
	}
}

// TestLedgerSkipsWhoLeft: begin re-checks the subscriber in the same
// transaction, so nobody who left since the campaign was created is mailed.
func TestLedgerSkipsWhoLeft(t *testing.T) {
	le := newLedgerEnv(t, 3)
	ctx := context.Background()
	unsub := le.delivery(t, "user0@example.com")
	if err := le.store.Unsubscribe(ctx, unsub.SubscriberID, le.list.ID, 0, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	blocked := le.delivery(t, "user1@example.com")
	if _, err := le.store.Blocklist(ctx, "user1@example.com", "admin", "test"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []subscribers.Delivery{unsub, blocked} {
		if err := le.begin(d); !errors.Is(err, subscribers.ErrNotSendable) {
			t.Errorf("begin for a subscriber who left = %v; want ErrNotSendable", err)
		}
		got := le.reload(t, d.ID)
		expectState(t, got, subscribers.DeliverySkipped, 0)
		if got.LastError == "" {
			t.Error("a skipped delivery does not say why")
		}
	}
	// A deferred delivery whose subscriber leaves before the retry is skipped too.
	d := le.delivery(t, "user2@example.com")
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpDeferred, DeliveryID: d.ID, NextAttempt: le.now, SMTPCode: 451})
	if err := le.store.Unsubscribe(ctx, d.SubscriberID, 0, le.campaign.ID, "subscriber", "one-click"); err != nil {
		t.Fatal(err)
	}
	if err := le.begin(le.reload(t, d.ID)); !errors.Is(err, subscribers.ErrNotSendable) {
		t.Errorf("begin for a deferred delivery of a subscriber who left = %v; want ErrNotSendable", err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySkipped, 1)
}

// TestLedgerStaleBegin: a begin based on an outdated read changes nothing,
// so one delivery is never on the wire twice at once.
func TestLedgerStaleBegin(t *testing.T) {
	le := newLedgerEnv(t, 1)
	d := le.delivery(t, "user0@example.com")
	wrong := d
	wrong.Attempts = 2
	if err := le.begin(wrong); !errors.Is(err, subscribers.ErrStale) {
		t.Errorf("begin with the wrong attempt count = %v; want ErrStale", err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliveryQueued, 0)
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	if err := le.begin(d); !errors.Is(err, subscribers.ErrStale) {
		t.Errorf("second begin of the same read = %v; want ErrStale", err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySending, 1)
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, SMTPCode: 250})
	if err := le.begin(le.reload(t, d.ID)); !errors.Is(err, subscribers.ErrStale) {
		t.Errorf("begin on a sent delivery = %v; want ErrStale", err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySent, 1)
}

// TestLedgerRequeue: a delivery moved off a failing relay is due again at
// once and the attempt does not count against it.
func TestLedgerRequeue(t *testing.T) {
	le := newLedgerEnv(t, 1)
	d := le.delivery(t, "user0@example.com")
	if err := le.begin(d); err != nil {
		t.Fatal(err)
	}
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpRequeue, DeliveryID: d.ID, Error: "connect: refused", Relay: "dead"})
	got := le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliveryDeferred, 0)
	if got.NextAttempt.After(le.now) {
		t.Errorf("requeued delivery is due at %v; want at once (%v)", got.NextAttempt, le.now)
	}
	due, err := le.store.DueDeferred(context.Background(), le.campaign.ID, le.now, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("DueDeferred = %d, %v; want the requeued delivery", len(due), err)
	}
	if err := le.begin(due[0]); err != nil {
		t.Fatal(err)
	}
	expectState(t, le.reload(t, d.ID), subscribers.DeliverySending, 1)
}

// TestLedgerPostpone: a delivery that was never begun because the relay
// could not be reached is put back, due when asked, with its attempts
// untouched; a postpone that lost a race with another worker does nothing.
func TestLedgerPostpone(t *testing.T) {
	le := newLedgerEnv(t, 2)
	d := le.delivery(t, "user0@example.com")
	next := le.now.Add(time.Minute)
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpPostpone, DeliveryID: d.ID, Attempts: d.Attempts,
		NextAttempt: next, Error: "connect: refused", Relay: "r"})
	got := le.reload(t, d.ID)
	expectState(t, got, subscribers.DeliveryDeferred, 0)
	if !got.NextAttempt.Equal(next) || got.LastError != "connect: refused" {
		t.Errorf("postponed delivery due %v with %q; want %v and the reason", got.NextAttempt, got.LastError, next)
	}

	// Another worker began it meanwhile: the postpone must not undo that.
	o := le.delivery(t, "user1@example.com")
	if err := le.begin(o); err != nil {
		t.Fatal(err)
	}
	le.sync(t, subscribers.LedgerOp{Kind: subscribers.OpPostpone, DeliveryID: o.ID, Attempts: o.Attempts, Error: "late"})
	expectState(t, le.reload(t, o.ID), subscribers.DeliverySending, 1)
}

// TestLedgerPossibleDuplicateIsCounted: a result after a connection broke
// once the message was transmitted is counted on the campaign, durably.
func TestLedgerPossibleDuplicateIsCounted(t *testing.T) {
	le := newLedgerEnv(t, 2)
	for i, kind := range []subscribers.LedgerOpKind{subscribers.OpDeferred, subscribers.OpFailed} {
		d := le.delivery(t, fmt.Sprintf("user%d@example.com", i))
		if err := le.begin(d); err != nil {
			t.Fatal(err)
		}
		le.sync(t, subscribers.LedgerOp{Kind: kind, DeliveryID: d.ID, NextAttempt: le.now, Error: "end of data: EOF",
			PossibleDuplicate: true})
	}
	if st := le.stats(t); st.PossibleDuplicates != 2 {
		t.Errorf("possible duplicates = %d; want 2", st.PossibleDuplicates)
	}
}

// TestLedgerGroupCommitKeepsResultsApart: many begins committed together
// each get their own answer.
func TestLedgerGroupCommitKeepsResultsApart(t *testing.T) {
	const n = 40
	le := newLedgerEnv(t, n)
	ctx := context.Background()
	ds := make([]subscribers.Delivery, n)
	for i := range n {
		ds[i] = le.delivery(t, fmt.Sprintf("user%d@example.com", i))
		if i%3 == 0 {
			if err := le.store.Unsubscribe(ctx, ds[i].SubscriberID, le.list.ID, 0, "subscriber", "link"); err != nil {
				t.Fatal(err)
			}
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = le.begin(ds[i]) })
	}
	wg.Wait()
	for i := range n {
		want, status := error(nil), subscribers.DeliverySending
		if i%3 == 0 {
			want, status = subscribers.ErrNotSendable, subscribers.DeliverySkipped
		}
		if !errors.Is(errs[i], want) && errs[i] != want {
			t.Errorf("begin %d = %v; want %v", i, errs[i], want)
		}
		if got := le.reload(t, ds[i].ID); got.Status != status {
			t.Errorf("delivery %d is %s; want %s", i, got.Status, status)
		}
	}
}

// TestLedgerResultCommitsBeforeNextBegin: results are fire and forget, but
// a worker's next begin cannot commit before its last result, so a worker
// never has two deliveries in "sending".
func TestLedgerResultCommitsBeforeNextBegin(t *testing.T) {
	le := newLedgerEnv(t, 50)
	prev := subscribers.Delivery{}
	for i := range 50 {
		d := le.delivery(t, fmt.Sprintf("user%d@example.com", i))
		if err := le.begin(d); err != nil {
			t.Fatal(err)
		}
		if prev.ID != 0 {
			if got := le.reload(t, prev.ID); got.Status != subscribers.DeliverySent {
				t.Fatalf("after the next begin, the previous delivery is %s; want sent", got.Status)
			}
		}
		le.l.Record(subscribers.LedgerOp{Kind: subscribers.OpSent, DeliveryID: d.ID, At: le.now, SMTPCode: 250})
		prev = d
	}
}

func TestLedgerCommitFailureIsReported(t *testing.T) {
	le := newLedgerEnv(t, 1)
	d := le.delivery(t, "user0@example.com")
	le.store.Close()
	if err := le.begin(d); err == nil {
		t.Fatal("begin on a closed store = nil; want the commit error")
	}
	if err := le.l.Close(); err == nil {
		t.Error("Close after a failed commit = nil; want the error")
	}
}

// TestDeliveryIsSendingBeforeItIsOnTheWire watches a real run: whenever the
// server has seen a DATA command, that many deliveries are already durably
// sending or sent, and no worker ever has two in flight.
func TestDeliveryIsSendingBeforeItIsOnTheWire(t *testing.T) {
	const n, workers = 40, 3
	e := newEnv(t, n)
	e.srv.SetDelay(3 * time.Millisecond)
	done := make(chan struct{})
	var res *mailer.RunResult
	var runErr error
	go func() {
		defer close(done)
		res, runErr = e.run(t, context.Background(), e.config(e.relay(workers)))
	}()
	polls, maxSending := 0, 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		onWire := e.srv.Stats().Commands["DATA"]
		var sending, sent int
		for _, d := range sqlitetest.Deliveries(t, e.store, e.campaign.ID) {
			switch d.Status {
			case subscribers.DeliverySending:
				sending++
			case subscribers.DeliverySent:
				sent++
			}
		}
		polls++
		maxSending = max(maxSending, sending)
		if sending+sent < onWire {
			t.Fatalf("the server saw %d DATA commands but the ledger has only %d sending and %d sent", onWire, sending, sent)
		}
		if sending > workers {
			t.Fatalf("%d deliveries in flight with %d workers", sending, workers)
		}
	}
	if runErr != nil || res.Sent != n {
		t.Fatalf("run = %+v, %v; want %d sent", res, runErr, n)
	}
	if polls < 10 || maxSending == 0 {
		t.Errorf("only %d polls, max %d sending: the check saw too little of the run", polls, maxSending)
	}
}

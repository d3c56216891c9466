package mailer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dispatchhq/dispatch/internal/ctxtime"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// Store is what the mailer needs from the database: the delivery ledger,
// and recording the bounces that SMTP replies report. *sqlite.Store
// implements it.
type Store interface {
	subscribers.DeliveryLedger
	RecordBounce(ctx context.Context, b subscribers.Bounce, p subscribers.BouncePolicy) (subscribers.BounceResult, error)
}

// Sender sends campaigns. Create one per run with New; Run blocks.
type Sender struct {
	cfg    Config
	store  Store
	relays []*relayState
	pace   *pacer
	caps   *caps
	dkim   *dkimSigner
}

// New checks the configuration and prepares relays and limits.
func New(cfg Config, store Store) (*Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg, store: store, pace: newPacer(cfg.Rate, cfg.Now, ctxtime.Sleep),
		caps: newCaps(cfg.HourlyLimit, cfg.DailyLimit)}
	for _, r := range cfg.Relays {
		s.relays = append(s.relays, &relayState{cfg: r, name: r.name(), pace: newPacer(r.Rate, cfg.Now, ctxtime.Sleep)})
	}
	if cfg.DKIM != nil {
		signer, err := cfg.DKIM.signer()
		if err != nil {
			return nil, err
		}
		s.dkim = signer
	}
	return s, nil
}

// Campaign is what Run sends: a compiled issue to a list's deliveries.
type Campaign struct {
	ID        int64
	ListID    int64
	ListName  string // the list's name: the List-Id identifier
	ListTitle string // what recipients see: the List-Id phrase; "" means ListName
	// ListPublic says the list has a public archive, which the List-Archive
	// header names (RFC 2369).
	ListPublic bool
	// Slug is the campaign's issue id, the last segment of its web
	// version's address.
	Slug  string
	Issue *templates.Compiled
	// ClickTokens puts each delivery's token in the issue's tracked links
	// (individual click tracking).
	ClickTokens bool
	// Guard, when set, is asked after each settled delivery whether the
	// campaign must pause, with this run's counts so far; a reason pauses
	// the run. It is called from several workers at once.
	Guard func(Tally) string
}

// Tally counts what a run has settled so far.
type Tally struct {
	Sent, Failed int
	HardBounces  int // failed deliveries whose recipient address is dead
}

// Progress is a snapshot of a running send.
type Progress struct {
	Sent, Deferred, Failed, Bounced, Skipped int // this run (Deferred: retries scheduled)
	InFlight                                 int
	// Retrying counts the deliveries waiting for a retry now, whichever
	// run deferred them.
	Retrying int
	Elapsed  time.Duration
	Rate     float64 // messages per second this run
	Waiting  string  // what the run waits for, if anything
	// RelayDownSince is when the relays stopped accepting connections, if
	// none does now; the run waits for them.
	RelayDownSince time.Time
	// RelayRTT is the round trip to the relay, timed on the EHLO of each
	// connection of this run (the smallest seen; 0 before the first
	// connection). With several relays, the nearest one's.
	RelayRTT time.Duration
}

// RunResult says how a run ended. Counts are for this run only.
type RunResult struct {
	Sent, Retried, Failed, Bounced, Skipped int
	// Ambiguous counts connections that broke after the message was
	// transmitted: the server may have accepted it, and it is retried.
	// Each is counted in the campaign's possible duplicates.
	Ambiguous   int
	Interrupted bool   // the context was cancelled (Ctrl-C)
	Paused      bool   // too many refusals about the sender or content, the relays stayed down, or the guard asked
	PauseReason string //
	// NotAuthenticated reports a pause because a provider refused the
	// message as not authenticated (the reason names the DNS record).
	NotAuthenticated bool
	// RelayDown is the time this run waited because no relay accepted a
	// connection, over RelayOutages separate outages.
	RelayDown    time.Duration
	RelayOutages int
	Elapsed      time.Duration
	// RelayRTT is as in Progress; RelayRTTs has it for each relay that
	// was reached, by name.
	RelayRTT  time.Duration
	RelayRTTs map[string]time.Duration
}

// ErrUnreachable is wrapped by the error of a run in which no connection to
// any relay could be made: no message went out, and no recipient lost an
// attempt, so the same run can simply be started again.
var ErrUnreachable = errors.New("mailer: no connection to any SMTP relay")

// errUnreachable stops a run in which no connection to any relay could be
// made.
type errUnreachable struct{ relay, reason string }

func (e errUnreachable) Error() string {
	return fmt.Sprintf("mailer: cannot connect to the SMTP relay %s: %s; no connection could be made in this run, so no message went out "+
		"and no recipient lost an attempt", e.relay, e.reason)
}

func (e errUnreachable) Is(target error) bool { return target == ErrUnreachable }

// errPaused is the cancellation cause of a paused run. auth marks a
// refusal of the message as not authenticated.
type errPaused struct {
	reason string
	auth   bool
}

func (e errPaused) Error() string { return "paused: " + e.reason }

// runState is shared by the goroutines of one run.
type runState struct {
	c        Campaign
	headers  headerSet
	ledger   *ledger
	started  time.Time
	cancel   context.CancelCauseFunc
	feedDone chan struct{} // closed when the feeder has nothing more to hand out
	pending  atomic.Int64  // handed to workers, not yet finished
	inHand   sync.Map      // delivery id → struct{}: handed out, not finished
	inFlight atomic.Int64
	finished chan struct{} // a job finished (non-blocking notify)

	sent, retried, failed, bounced, skipped, ambiguous atomic.Int64
	hard                                               atomic.Int64 // hard bounces, for the campaign's guard
	retrying                                           atomic.Int64 // deliveries deferred, waiting for their retry
	refusals                                           atomic.Int64 // consecutive sender/content refusals
	first                                              firstRefusals
	connected                                          atomic.Bool // a connection to a relay was made in this run

	mu           sync.Mutex
	waiting      string
	allDownSince time.Time     // no relay reachable since; zero while one is
	relayDown    time.Duration // time without a reachable relay, over ended outages
	outages      int
}

func (st *runState) setWaiting(s string) {
	st.mu.Lock()
	st.waiting = s
	st.mu.Unlock()
}

func (st *runState) jobDone(id int64) {
	st.inHand.Delete(id)
	st.pending.Add(-1)
	select {
	case st.finished <- struct{}{}:
	default:
	}
}

// Run sends the campaign's queued and due deferred deliveries until every
// one is sent or failed for good, the context is cancelled, or the
// campaign pauses. It blocks; progress, if set, is called every 250ms and
// once at the end, from a goroutine Run owns.
func (s *Sender) Run(ctx context.Context, c Campaign, progress func(Progress)) (*RunResult, error) {
	h, err := newHeaderSet(s.cfg, c.Issue.From)
	if err != nil {
		return nil, err
	}
	if err := s.seedCaps(ctx); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	h.list = h.listID(c.ListName, c.ListTitle, c.ListID)
	h.setArchive(s.cfg, c.ListName, c.Slug, c.ID, c.ListPublic)
	st := &runState{
		c:        c,
		headers:  h,
		ledger:   newLedger(s.store),
		started:  time.Now(),
		cancel:   cancel,
		finished: make(chan struct{}, 1),
		feedDone: make(chan struct{}),
	}
	if _, n, err := s.store.NextRetry(ctx, c.ID); err == nil {
		st.retrying.Store(int64(n)) // deferred by an earlier run
	}

	workers := 0
	for _, r := range s.relays {
		workers += r.cfg.Concurrency
	}
	jobs := make(chan subscribers.Delivery, workers)
	feedErr := make(chan error, 1)
	go func() {
		// The feeder is the only sender on jobs, so it closes it.
		defer close(jobs)
		defer close(st.feedDone)
		feedErr <- s.feed(runCtx, st, jobs)
	}()

	var wg sync.WaitGroup
	for _, r := range s.relays {
		for range r.cfg.Concurrency {
			wg.Go(func() { s.worker(runCtx, st, r, jobs) })
		}
	}
	stopProgress := s.reportProgress(st, progress)

	wg.Wait()
	ferr := <-feedErr
	lerr := st.ledger.close()
	stopProgress()

	res := s.result(st)
	if lerr != nil {
		return res, fmt.Errorf("ledger: %w", lerr)
	}
	return res, runOutcome(ctx, runCtx, res, ferr)
}

// seedCaps fills the hourly and daily quotas from the ledger, so a new run
// counts what earlier runs sent.
func (s *Sender) seedCaps(ctx context.Context) error {
	if s.caps == nil {
		return nil
	}
	now := s.cfg.Now()
	hour, err := s.store.SentSince(ctx, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	day, err := s.store.SentSince(ctx, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	s.caps.seed(now, hour, day)
	return nil
}

// reportProgress calls progress (if not nil) four times a second until the
// returned stop is called, and once more then, with the final counts.
func (s *Sender) reportProgress(st *runState, progress func(Progress)) (stop func()) {
	if progress == nil {
		return func() {}
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				progress(s.snapshot(st))
			case <-stopProgress:
				return
			}
		}
	}()
	return func() {
		close(stopProgress)
		<-progressDone
		st.setWaiting("")
		progress(s.snapshot(st))
	}
}

// result counts what a finished run did.
func (s *Sender) result(st *runState) *RunResult {
	res := &RunResult{
		Sent:      int(st.sent.Load()),
		Retried:   int(st.retried.Load()),
		Failed:    int(st.failed.Load()),
		Bounced:   int(st.bounced.Load()),
		Skipped:   int(st.skipped.Load()),
		Ambiguous: int(st.ambiguous.Load()),
		Elapsed:   time.Since(st.started),
	}
	res.RelayRTT, res.RelayRTTs = s.relayRTTs()
	st.mu.Lock()
	res.RelayDown, res.RelayOutages = st.relayDown, st.outages
	if !st.allDownSince.IsZero() {
		res.RelayDown += s.cfg.Now().Sub(st.allDownSince)
	}
	st.mu.Unlock()
	return res
}

// runOutcome is Run's error once the run has stopped: nil for a finished
// or paused run (res says which), the cause of an interrupted or failed
// one, or the feeder's error.
func runOutcome(ctx, runCtx context.Context, res *RunResult, ferr error) error {
	cause := context.Cause(runCtx)
	var p errPaused
	switch {
	case errors.As(cause, &p):
		res.Paused, res.PauseReason, res.NotAuthenticated = true, p.reason, p.auth
		return nil
	case ctx.Err() != nil:
		res.Interrupted = true
		return ctx.Err()
	case cause != nil && !errors.Is(cause, context.Canceled):
		return cause
	}
	if ferr != nil && !errors.Is(ferr, context.Canceled) {
		return ferr
	}
	return nil
}

func (s *Sender) snapshot(st *runState) Progress {
	el := time.Since(st.started)
	st.mu.Lock()
	waiting, downSince := st.waiting, st.allDownSince
	st.mu.Unlock()
	if w := s.relayWaiting(st); w != "" {
		waiting = w
	}
	sent := int(st.sent.Load())
	rate := float64(sent) / max(el.Seconds(), 0.001)
	if waiting == "" {
		waiting = s.rateWaiting(rate)
	}
	rtt, _ := s.relayRTTs()
	return Progress{Sent: sent, Deferred: int(st.retried.Load()), Retrying: int(max(st.retrying.Load(), 0)), Failed: int(st.failed.Load()),
		Bounced: int(st.bounced.Load()), Skipped: int(st.skipped.Load()), InFlight: int(st.inFlight.Load()),
		Elapsed: el, Rate: rate, Waiting: waiting, RelayDownSince: downSince,
		RelayRTT: rtt}
}

// relayRTTs returns the smallest EHLO round trip over the relays, and each
// relay's.
func (s *Sender) relayRTTs() (time.Duration, map[string]time.Duration) {
	var least time.Duration
	var each map[string]time.Duration
	for _, r := range s.relays {
		d := r.rtt.get()
		if d == 0 {
			continue
		}
		if each == nil {
			each = make(map[string]time.Duration, len(s.relays))
		}
		each[r.name] = d
		if least == 0 || d < least {
			least = d
		}
	}
	return least, each
}

// feed hands deliveries to workers: queued ones in id order, deferred ones
// when their retry time comes, until none is owed. It returns nil when the
// campaign has nothing left, or the context's error.
func (s *Sender) feed(ctx context.Context, st *runState, jobs chan<- subscribers.Delivery) error {
	const page = 500
	var after int64
	queuedDone := false
	var lastDue time.Time
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := s.cfg.Now()
		var batch []subscribers.Delivery
		var err error
		if queuedDone || now.Sub(lastDue) >= time.Second {
			lastDue = now
			if batch, err = s.store.DueDeferred(ctx, st.c.ID, now, page); err != nil {
				return err
			}
		}
		if len(batch) == 0 && !queuedDone {
			if batch, err = s.store.NextQueued(ctx, st.c.ID, after, page); err != nil {
				return err
			}
			if len(batch) < page {
				queuedDone = true
			}
			if len(batch) > 0 {
				after = batch[len(batch)-1].ID
			}
		}
		handed := 0
		for _, d := range batch {
			// A deferred delivery read again while a worker still holds it
			// must not be handed out twice.
			if _, held := st.inHand.LoadOrStore(d.ID, struct{}{}); held {
				continue
			}
			st.setWaiting("")
			st.pending.Add(1)
			if d.Status == subscribers.DeliveryDeferred {
				st.retrying.Add(-1) // its retry is now
			}
			handed++
			select {
			case jobs <- d:
			case <-ctx.Done():
				if d.Status == subscribers.DeliveryDeferred {
					st.retrying.Add(1) // not handed out after all
				}
				st.jobDone(d.ID)
				return ctx.Err()
			}
		}
		if handed > 0 {
			continue
		}
		if st.pending.Load() > 0 {
			// Workers still hold messages; their results may defer more.
			select {
			case <-st.finished:
			case <-time.After(200 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		next, n, err := s.store.NextRetry(ctx, st.c.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		wait := next.Sub(s.cfg.Now())
		st.setWaiting(fmt.Sprintf("waiting %s for %d"+waitingRetry+"%s (next retry at %s)",
			wait.Round(time.Second), n, pluralS(n, "delivery", "deliveries"), next.Local().Format("15:04:05")))
		if err := ctxtime.Sleep(ctx, min(max(wait, 50*time.Millisecond), time.Second)); err != nil {
			return err
		}
	}
}

func pluralS(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// worker owns one SMTP connection to its relay and sends jobs until they
// run out or the run is cancelled.
func (s *Sender) worker(ctx context.Context, st *runState, rs *relayState, jobs <-chan subscribers.Delivery) {
	cn := &conn{relay: rs, idle: s.cfg.IdleTimeout}
	defer cn.close()
	out := &templates.Rendered{}
	msg := &message{}
	for {
		if rs.isDown() {
			// Take no work (other relays may) until this one answers.
			if !s.awaitRelay(ctx, st, rs, cn) {
				return
			}
			continue
		}
		var d subscribers.Delivery
		var ok bool
		select {
		case <-ctx.Done():
			return
		case d, ok = <-jobs:
			if !ok {
				return
			}
		}
		s.deliver(ctx, st, rs, cn, out, msg, d)
		st.jobDone(d.ID)
	}
}

// deliver sends one delivery and records what happened. out and msg are
// the worker's buffers.
func (s *Sender) deliver(ctx context.Context, st *runState, rs *relayState, cn *conn, out *templates.Rendered,
	msg *message, d subscribers.Delivery) {
	log := deliveryLog{base: s.cfg.Logger, delivery: d.ID, campaign: st.c.ID}
	// A removed subscriber (no address) has no message: begin will skip
	// it, or it fails below.
	built := d.Email != ""
	if built {
		if err := s.buildFor(st, out, msg, d); err != nil {
			// Checks ran at compile time; this is a bad address or data.
			log.Warn("cannot build message", "err", err)
			if s.fail(st, d, rs, 0, "build message: "+err.Error()) {
				st.failed.Add(1)
			}
			return
		}
		// Pace and connect before marking the delivery in flight, so that
		// time spent waiting for the rate limit or the relay is not time
		// at risk.
		if !s.ready(ctx, st, rs, cn, d) {
			return
		}
	}
	now := s.cfg.Now()
	err := st.ledger.begin(st.counted(d, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: st.c.ListID,
		Attempts: d.Attempts, At: now}))
	if errors.Is(err, subscribers.ErrNotSendable) {
		st.skipped.Add(1)
		return
	}
	if errors.Is(err, subscribers.ErrStale) {
		return // another worker has it, or it is done
	}
	if err != nil {
		st.cancel(fmt.Errorf("ledger: %w", err))
		return
	}
	st.inFlight.Add(1)
	defer st.inFlight.Add(-1)
	if !built {
		s.recordSync(st, st.counted(d, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: d.ID, At: now, Error: "subscriber has no address", Relay: rs.name}))
		st.failed.Add(1)
		return
	}

	err = cn.send(msg, now)
	o := classify(err)
	fresh := cn.sent == 1
	cn.dropIfReset(o)
	if o.verdict != vSent && beforeRecipient(err) {
		// The relay broke off before it heard of the recipient: not the
		// recipient's attempt. A relay that does so on a new connection
		// is down.
		s.recordSync(st, st.counted(d, subscribers.LedgerOp{Kind: subscribers.OpRequeue, DeliveryID: d.ID, At: now, SMTPCode: o.code,
			Error: o.text, Relay: rs.name}))
		if fresh {
			s.connected(st, rs, now, fmt.Errorf("%s", o.text))
		}
		return
	}
	s.settle(st, rs, d, o, log)
}

// buildFor renders the issue for d's subscriber into out and builds the
// message in msg.
func (s *Sender) buildFor(st *runState, out *templates.Rendered, msg *message, d subscribers.Delivery) error {
	unsubToken := s.cfg.Tokens.Unsubscribe(subscribers.UnsubscribeRef{
		SubscriberID: d.SubscriberID,
		ListID:       st.c.ListID,
		CampaignID:   st.c.ID,
	})
	unsub := subscribers.UnsubscribeURL(s.cfg.BaseURL, unsubToken)
	r := templates.Recipient{
		Email:          d.Email,
		Name:           d.Name,
		Attributes:     d.Attributes,
		UnsubscribeURL: unsub,
		ManageURL:      s.manageURL(d.SubscriberID),
		WebURL:         st.headers.webURL,
	}
	if st.c.ClickTokens {
		r.ClickToken = s.cfg.Tokens.Delivery(d.ID)
	}
	err := st.c.Issue.RenderTo(out, r)
	if err != nil {
		return err
	}
	env := envelope{
		deliveryID:   d.ID,
		campaignID:   st.c.ID,
		listID:       st.c.ListID,
		subscriberID: d.SubscriberID,
		email:        d.Email,
		name:         d.Name,
	}
	return s.build(msg, st.headers, env, out, unsubToken, unsub)
}

// ready waits for the rate limits and connects; false when the run was
// cancelled or the relay could not be reached, in which case d goes back
// untouched, for whichever relay answers first.
func (s *Sender) ready(ctx context.Context, st *runState, rs *relayState, cn *conn, d subscribers.Delivery) bool {
	if err := s.waitTurn(ctx, st, rs); err != nil {
		return false // cancelled; the delivery is still queued
	}
	now := s.cfg.Now()
	if err := cn.ensure(ctx, now); err != nil {
		if ctx.Err() != nil {
			return false
		}
		s.connected(st, rs, now, err)
		s.recordSync(st, st.counted(d, subscribers.LedgerOp{
			Kind:       subscribers.OpPostpone,
			DeliveryID: d.ID,
			Attempts:   d.Attempts,
			At:         now,
			Error:      "not attempted yet: " + err.Error(),
			Relay:      rs.name,
		}))
		return false
	}
	if cn.sent == 0 {
		s.connected(st, rs, now, nil)
	}
	return true
}

// waitTurn waits for the shared rate, the relay's rate and the quotas.
func (s *Sender) waitTurn(ctx context.Context, st *runState, rs *relayState) error {
	for {
		d, which := s.caps.reserve(s.cfg.Now())
		if d == 0 {
			break
		}
		st.setWaiting(which + waitingQuota + s.cfg.Now().Add(d).Local().Format("15:04:05"))
		if err := ctxtime.Sleep(ctx, min(d, time.Second)); err != nil {
			return err
		}
	}
	if err := s.pace.wait(ctx); err != nil {
		return err
	}
	return rs.pace.wait(ctx)
}

// deliveryLog logs about one delivery. It adds the delivery's attributes
// only when something is logged, which a message sent without trouble
// never needs.
type deliveryLog struct {
	base               *slog.Logger
	delivery, campaign int64
}

func (l deliveryLog) Warn(msg string, args ...any) {
	l.base.Warn(msg, append([]any{"delivery", l.delivery, "campaign", l.campaign}, args...)...)
}

// settle records the outcome of one attempt, then asks the campaign's
// guard whether to go on.
func (s *Sender) settle(st *runState, rs *relayState, d subscribers.Delivery, o outcome, log deliveryLog) {
	s.settleOutcome(st, rs, d, o, log)
	if st.c.Guard == nil {
		return
	}
	t := Tally{Sent: int(st.sent.Load()), Failed: int(st.failed.Load()), HardBounces: int(st.hard.Load())}
	if reason := st.c.Guard(t); reason != "" {
		st.cancel(errPaused{reason: reason})
	}
}

// settleOutcome records the outcome of one attempt.
func (s *Sender) settleOutcome(st *runState, rs *relayState, d subscribers.Delivery, o outcome, log deliveryLog) {
	now := s.cfg.Now()
	attempts := d.Attempts + 1
	op := st.counted(d, subscribers.LedgerOp{DeliveryID: d.ID, At: now, SMTPCode: o.code, Error: o.text, Relay: rs.name})
	if notAuthenticated(o) {
		// Deferred, not failed: once the DNS is fixed, resuming sends it.
		op.Kind = subscribers.OpDeferred
		op.NextAttempt = now.Add(s.backoff(attempts))
		s.recordSync(st, op)
		st.retried.Add(1)
		st.retrying.Add(1)
		log.Warn("refused as not authenticated", "code", o.code, "err", o.text)
		st.cancel(errPaused{reason: o.text + ": " + s.authRecords(st.headers).hint(o.status), auth: true})
		return
	}
	switch o.verdict {
	case vSent:
		st.refusals.Store(0)
		op.Kind = subscribers.OpSent
		st.ledger.record(op)
		st.sent.Add(1)
		return
	case vConnection:
		// Lost after the recipient was named: this may be about the
		// message, so it counts as an attempt.
		if o.possible {
			st.ambiguous.Add(1)
			op.PossibleDuplicate = true
			log.Warn("connection lost after the message was transmitted; it may arrive twice", "relay", rs.name, "err", o.text)
		}
		s.settleTemporary(st, op, attempts, o, log)
	case vTemporary:
		s.settleTemporary(st, op, attempts, o, log)
	case vHardBounce, vSoftBounce:
		st.refusals.Store(0)
		op.Kind = subscribers.OpFailed
		s.recordSync(st, op)
		s.recordBounce(st, d, o, attempts)
		st.failed.Add(1)
		st.bounced.Add(1)
	case vRefused:
		op.Kind = subscribers.OpFailed
		s.recordSync(st, op)
		st.failed.Add(1)
		log.Warn("message refused for a reason about the sender or content", "code", o.code, "err", o.text)
		s.maybePause(st, o)
	}
}

// settleTemporary defers a delivery after a temporary failure, or fails it
// once MaxAttempts attempts were made.
func (s *Sender) settleTemporary(st *runState, op subscribers.LedgerOp, attempts int, o outcome, log deliveryLog) {
	if attempts >= s.cfg.MaxAttempts {
		log.Warn("giving up after repeated temporary failures", "attempts", attempts, "err", o.text)
		op.Kind = subscribers.OpFailed
		op.Error = fmt.Sprintf("%s%d attempts: %s", subscribers.GaveUpPrefix, attempts, o.text)
		s.recordSync(st, op)
		st.failed.Add(1)
		return
	}
	op.Kind = subscribers.OpDeferred
	op.NextAttempt = op.At.Add(s.backoff(attempts))
	s.recordSync(st, op)
	st.retried.Add(1)
	st.retrying.Add(1)
}

// recordBounce records a refusal about the recipient as a bounce, which
// applies the bounce policy.
func (s *Sender) recordBounce(st *runState, d subscribers.Delivery, o outcome, attempts int) {
	kind := subscribers.BounceHard
	if o.verdict == vSoftBounce {
		kind = subscribers.BounceSoft
	} else {
		st.hard.Add(1)
	}
	b := subscribers.Bounce{
		SubscriberID: d.SubscriberID,
		CampaignID:   st.c.ID,
		DeliveryID:   d.ID,
		Kind:         kind,
		Status:       o.status,
		Reason:       o.text,
		Source:       "smtp",
		Key:          fmt.Sprintf("smtp:%d:%d", d.ID, attempts),
	}
	if _, err := s.store.RecordBounce(context.Background(), b, s.cfg.BouncePolicy); err != nil {
		st.cancel(fmt.Errorf("record bounce: %w", err))
	}
}

// maybePause pauses the run after a refusal about the sender or content:
// at once when the run's first refusals are the same reply, else after
// PauseAfter in a row.
func (s *Sender) maybePause(st *runState, o outcome) {
	n := st.refusals.Add(1)
	if st.first.refused(o, st.sent.Load(), s.cfg.PauseAfter) {
		what := "the first message of this run was refused"
		if n > 1 {
			what = fmt.Sprintf("the first %d messages of this run were all refused with the same reply", n)
		}
		st.cancel(errPaused{reason: what + " for a reason about the sender, not the recipients: " + o.text +
			". Nothing was held against the recipients; fix the cause (the relay's sender restrictions and login, SPF, DKIM, DMARC), then run the same command to resume"})
		return
	}
	if n >= int64(s.cfg.PauseAfter) {
		st.cancel(errPaused{reason: fmt.Sprintf("%d messages in a row were refused for reasons about the sender or the content, not the recipients; last reply: %s. Fix the cause (authentication, reputation, content, size), then run the same command to resume", n, o.text)})
	}
}

// fail records a delivery that cannot be attempted at all.
func (s *Sender) fail(st *runState, d subscribers.Delivery, rs *relayState, code int, msg string) bool {
	err := st.ledger.begin(st.counted(d, subscribers.LedgerOp{Kind: subscribers.OpBegin, DeliveryID: d.ID, ListID: st.c.ListID,
		Attempts: d.Attempts, At: s.cfg.Now()}))
	if err != nil {
		if errors.Is(err, subscribers.ErrNotSendable) {
			st.skipped.Add(1)
		}
		return false
	}
	s.recordSync(st, st.counted(d, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: d.ID, At: s.cfg.Now(), SMTPCode: code, Error: msg, Relay: rs.name}))
	return true
}

// recordSync commits a result before the job counts as finished, so that
// the feeder sees deferred and requeued deliveries when it looks.
func (s *Sender) recordSync(st *runState, op subscribers.LedgerOp) {
	reply := make(chan error, 1)
	st.ledger.reqs <- ledgerReq{op: op, reply: reply}
	if err := <-reply; err != nil {
		st.cancel(fmt.Errorf("ledger: %w", err))
	}
}

// backoff is RetryBackoff doubled per attempt, with ±20% jitter so that
// retries of one failure burst do not arrive together.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.RetryBackoff << min(attempts-1, 16)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

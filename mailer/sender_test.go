package mailer_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestEveryRecipientExactlyOnce is the ledger's promise: one run delivers
// to everyone once, and running again sends nothing.
func TestEveryRecipientExactlyOnce(t *testing.T) {
	e := newEnv(t, 60)
	res, err := e.run(t, context.Background(), e.config())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 60 || res.Failed != 0 {
		t.Fatalf("run = %+v; want 60 sent", res)
	}
	counts := map[string]int{}
	for _, m := range e.srv.Messages() {
		for _, to := range m.To {
			counts[to]++
		}
	}
	if len(counts) != 60 {
		t.Errorf("%d distinct recipients; want 60", len(counts))
	}
	for to, n := range counts {
		if n != 1 {
			t.Errorf("%s got %d messages", to, n)
		}
	}
	st := e.stats(t)
	if st.Sent != 60 || !st.Done() {
		t.Errorf("stats = %+v; want 60 sent, done", st)
	}
	res, err = e.run(t, context.Background(), e.config())
	if err != nil || res.Sent != 0 {
		t.Errorf("second run = %+v, %v; want nothing sent", res, err)
	}
	if n := len(e.srv.Messages()); n != 60 {
		t.Errorf("server has %d messages after the second run; want 60", n)
	}
	if got := e.srv.Stats().MaxConcurrent; got > 4 {
		t.Errorf("%d concurrent connections; want at most 4", got)
	}
}

func TestTemporaryFailureIsRetried(t *testing.T) {
	e := newEnv(t, 3)
	e.srv.FailRcptTimes("user1@example.com", 2, 451, "4.7.1", "greylisted, try again")
	res, err := e.run(t, context.Background(), e.config())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 3 || res.Retried != 2 {
		t.Fatalf("run = %+v; want 3 sent after 2 retries", res)
	}
	d := e.delivery(t, "user1@example.com")
	if d.Status != subscribers.DeliverySent || d.Attempts != 3 {
		t.Errorf("delivery = %s after %d attempts; want sent after 3", d.Status, d.Attempts)
	}
}

func TestTemporaryFailureGivesUpAfterMaxAttempts(t *testing.T) {
	e := newEnv(t, 2)
	e.srv.FailRcpt("user0@example.com", 452, "4.2.2", "mailbox full")
	res, err := e.run(t, context.Background(), e.config())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 1 || res.Failed != 1 {
		t.Fatalf("run = %+v; want 1 sent, 1 failed", res)
	}
	d := e.delivery(t, "user0@example.com")
	if d.Status != subscribers.DeliveryFailed || d.Attempts != 4 || !strings.Contains(d.LastError, "gave up after 4") {
		t.Errorf("delivery = %+v; want failed after 4 attempts", d)
	}
	if sub, _ := e.store.FindSubscriberByEmail(context.Background(), "user0@example.com"); sub.Status != subscribers.StatusActive {
		t.Errorf("a temporary failure suppressed the subscriber: %s", sub.Status)
	}
}

func TestHardBounceSuppressesAtOnce(t *testing.T) {
	e := newEnv(t, 3)
	e.srv.FailRcpt("user2@example.com", 550, "5.1.1", "user unknown")
	res, err := e.run(t, context.Background(), e.config())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 || res.Bounced != 1 || res.Failed != 1 || res.Retried != 0 {
		t.Fatalf("run = %+v; want 2 sent, 1 bounced without retry", res)
	}
	sub, _ := e.store.FindSubscriberByEmail(context.Background(), "user2@example.com")
	if sub.Status != subscribers.StatusBounced {
		t.Errorf("status = %s; want bounced", sub.Status)
	}
	if st := e.stats(t); st.HardBounces != 1 {
		t.Errorf("campaign hard bounces = %d; want 1", st.HardBounces)
	}
	events, _ := e.store.Events(context.Background(), sub.ID)
	last := events[len(events)-1]
	if last.Type != subscribers.EventBounced || last.CampaignID != e.campaign.ID || !strings.Contains(last.Reason, "5.1.1") {
		t.Errorf("last event = %+v; want a bounce attributed to the campaign", last)
	}
}

func TestSenderRefusalsPauseTheCampaign(t *testing.T) {
	e := newEnv(t, 30)
	// The first two go through, so the refusals that follow are counted
	// by pause_after, not by the first-refusals rule.
	for i := 2; i < 30; i++ {
		e.srv.FailData(fmt.Sprintf("user%d@example.com", i), 554, "5.7.1", "message rejected as spam")
	}
	cfg := e.config(e.relay(1))
	cfg.PauseAfter = 5
	res, err := e.run(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Paused || !strings.Contains(res.PauseReason, "5 messages in a row") || res.Failed < 5 || res.Failed > 6 {
		t.Fatalf("run = %+v; want paused after 5 refusals", res)
	}
	if res.Bounced != 0 {
		t.Errorf("refusals about content blamed %d recipients", res.Bounced)
	}
	sub, _ := e.store.FindSubscriberByEmail(context.Background(), "user2@example.com")
	if sub.Status != subscribers.StatusActive {
		t.Errorf("a content refusal suppressed the recipient: %s", sub.Status)
	}
	if st := e.stats(t); st.Queued < 20 {
		t.Errorf("only %d still queued after the pause", st.Queued)
	}
}

// TestSameFirstRefusalsPauseAtOnce: when the run's first refusals are all
// the same reply about the sender, the campaign pauses at once with that
// reply, and nobody is held responsible for it.
func TestSameFirstRefusalsPauseAtOnce(t *testing.T) {
	tests := []struct {
		name, status, text string
		code               int
		maxFailed          int // one per worker in flight, plus the rule's count
	}{
		{"sender rejected", "5.7.1", "<bounces@example.com>: Sender address rejected: not owned by user newsletter", 553, 2},
		{"same policy reply", "5.7.1", "message rejected as spam", 554, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 30)
			for i := range 30 {
				e.srv.FailRcpt(fmt.Sprintf("user%d@example.com", i), tc.code, tc.status, tc.text)
			}
			res, err := e.run(t, context.Background(), e.config(e.relay(1)))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Paused || !strings.Contains(res.PauseReason, tc.text) || res.Failed < 1 || res.Failed > tc.maxFailed {
				t.Fatalf("run = %+v; want paused at once with the reply", res)
			}
			if res.Bounced != 0 {
				t.Errorf("%d recipients blamed", res.Bounced)
			}
			for i := range 30 {
				sub, _ := e.store.FindSubscriberByEmail(context.Background(), fmt.Sprintf("user%d@example.com", i))
				if sub.Status != subscribers.StatusActive {
					t.Errorf("user%d: %s; want active", i, sub.Status)
				}
			}
		})
	}
}

func TestDroppedConnectionIsRetried(t *testing.T) {
	e := newEnv(t, 5)
	e.srv.DropOnRcpt("user3@example.com", 1)
	res, err := e.run(t, context.Background(), e.config(e.relay(1)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 5 || res.Retried < 1 {
		t.Fatalf("run = %+v; want all 5 sent after a retry", res)
	}
	if n := len(e.srv.Messages()); n != 5 {
		t.Errorf("%d messages; want 5", n)
	}
}

func TestConnectionsAreReused(t *testing.T) {
	e := newEnv(t, 20)
	cfg := e.config(e.relay(2))
	cfg.Relays[0].MaxMessagesPerConnection = 5
	if _, err := e.run(t, context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	// 20 messages over 2 workers reconnecting every 5: about 4 connections, never 20.
	if c := e.srv.Stats().Connections; c < 4 || c > 6 {
		t.Errorf("%d connections for 20 messages at 5 per connection; want 4 to 6", c)
	}
}

// TestUnsubscribeDuringCampaignIsHonoured: from the moment a subscriber
// leaves, they are not mailed, even by a campaign already running.
func TestUnsubscribeDuringCampaignIsHonoured(t *testing.T) {
	e := newEnv(t, 20)
	e.srv.SetDelay(20 * time.Millisecond)
	ctx := context.Background()
	done := make(chan struct{})
	var res *mailer.RunResult
	var runErr error
	go func() {
		defer close(done)
		res, runErr = e.run(t, ctx, e.config(e.relay(1)))
	}()
	if _, err := e.srv.WaitMessages(ctx, 2); err != nil {
		t.Fatal(err)
	}
	last := mustSub(t, e, "user19@example.com")
	if err := e.store.Unsubscribe(ctx, last.ID, 0, e.campaign.ID, "subscriber", "link"); err != nil {
		t.Fatal(err)
	}
	blocked := mustSub(t, e, "user18@example.com")
	if _, err := e.store.Blocklist(ctx, blocked.Email, "admin", "test"); err != nil {
		t.Fatal(err)
	}
	<-done
	if runErr != nil {
		t.Fatal(runErr)
	}
	if res.Skipped != 2 || res.Sent != 18 {
		t.Errorf("run = %+v; want 18 sent, 2 skipped", res)
	}
	for _, m := range e.srv.Messages() {
		if m.To[0] == "user19@example.com" || m.To[0] == "user18@example.com" {
			t.Errorf("mailed %s after they left", m.To[0])
		}
	}
	if st := e.stats(t); st.Skipped != 2 || st.Unsubscribed != 1 {
		t.Errorf("stats = %+v; want 2 skipped, 1 unsubscribed since", st)
	}
}

func mustSub(t *testing.T, e *env, email string) *subscribers.Subscriber {
	t.Helper()
	s, err := e.store.FindSubscriberByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInterruptedRunResumes: Ctrl-C stops cleanly and the next run sends
// the rest, so everyone gets exactly one message.
func TestInterruptedRunResumes(t *testing.T) {
	e := newEnv(t, 40)
	e.srv.SetDelay(5 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		e.srv.WaitMessages(context.Background(), 10)
		cancel()
	}()
	res, err := e.run(t, ctx, e.config(e.relay(2)))
	if !errors.Is(err, context.Canceled) || !res.Interrupted {
		t.Fatalf("interrupted run = %+v, %v", res, err)
	}
	st := e.stats(t)
	if st.Sending != 0 {
		t.Errorf("%d deliveries left in flight after a clean stop", st.Sending)
	}
	if st.Sent != res.Sent || st.Sent < 10 || st.Sent >= 40 {
		t.Errorf("ledger says %d sent, run says %d; want the same, between 10 and 39", st.Sent, res.Sent)
	}
	if n := len(e.srv.Messages()); n != st.Sent {
		t.Errorf("server received %d, ledger says %d sent", n, st.Sent)
	}
	res2, err := e.run(t, context.Background(), e.config(e.relay(2)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent+res2.Sent != 40 {
		t.Errorf("runs sent %d + %d; want 40 in all", res.Sent, res2.Sent)
	}
	seen := map[string]bool{}
	for _, m := range e.srv.Messages() {
		if seen[m.To[0]] {
			t.Errorf("%s mailed twice", m.To[0])
		}
		seen[m.To[0]] = true
	}
	if len(seen) != 40 {
		t.Errorf("%d recipients reached; want 40", len(seen))
	}
}

// TestCrashLeavesAtMostOneInFlightPerConnection simulates a run killed
// mid-send: the rows it left in flight are re-sent and counted.
func TestCrashRecoveryCountsInFlight(t *testing.T) {
	e := newEnv(t, 10)
	ctx := context.Background()
	// Two deliveries were on the wire when the process died.
	queued, err := e.store.NextQueued(ctx, e.campaign.ID, 0, 2)
	if err != nil || len(queued) != 2 {
		t.Fatalf("NextQueued = %d, %v; want 2", len(queued), err)
	}
	sqlitetest.Begin(t, e.store, e.list.ID, queued...)
	n, err := e.store.StartCampaignRun(ctx, e.campaign.ID)
	if err != nil || n != 2 {
		t.Fatalf("recovered %d, %v; want 2", n, err)
	}
	s, _ := mailer.New(e.config(), e.store)
	res, err := s.Run(ctx, mailer.Campaign{ID: e.campaign.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue}, nil)
	if err != nil || res.Sent != 10 {
		t.Fatalf("run = %+v, %v; want all 10 sent", res, err)
	}
	if st := e.stats(t); st.PossibleDuplicates != 2 {
		t.Errorf("possible duplicates = %d; want 2", st.PossibleDuplicates)
	}
}

func TestRelayFailover(t *testing.T) {
	e := newEnv(t, 30)
	// A relay that refuses connections: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	bad := mailer.Relay{Name: "dead", Host: "127.0.0.1", Port: dead, TLS: tlsmode.None, Concurrency: 2, Timeout: time.Second}
	good := e.relay(2)
	good.Name = "good"
	cfg := e.config(bad, good)
	res, err := e.run(t, context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 30 || res.Failed != 0 {
		t.Fatalf("run = %+v; want all 30 sent through the good relay", res)
	}
	var viaDead int
	for _, d := range sqlitetest.Deliveries(t, e.store, e.campaign.ID) {
		if d.Relay == "dead" && d.Status == subscribers.DeliverySent {
			viaDead++
		}
	}
	if viaDead != 0 {
		t.Errorf("%d deliveries recorded as sent through the dead relay", viaDead)
	}
}

// TestRateIsSharedAndSmooth checks that the configured rate is a total
// over every connection and that no burst exceeds a handful of messages.
// Only the upper bound is asserted: a busy machine can make sending
// slower than the rate, never faster. BenchmarkRateAccuracy measures both.
func TestRateIsSharedAndSmooth(t *testing.T) {
	e := newEnv(t, 40)
	cfg := e.config(e.relay(4))
	cfg.Rate = 50
	start := time.Now()
	if _, err := e.run(t, context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 40 {
		t.Fatalf("%d messages", len(msgs))
	}
	// 40 messages at 50/s over 4 connections take at least ~0.78 s in all;
	// a rate applied per connection would take a quarter of that.
	if el := time.Since(start); el < 700*time.Millisecond {
		t.Errorf("40 messages at 50/s took %s; the rate is not shared", el)
	}
	// Any 200 ms window holds at most its 10 slots, plus the bucket's small
	// burst and one late message per connection.
	for i := range msgs {
		n := 0
		for j := i; j < len(msgs) && msgs[j].Received.Sub(msgs[i].Received) < 200*time.Millisecond; j++ {
			n++
		}
		if n > 10+2+4+1 {
			t.Errorf("%d messages within 200ms starting at message %d; want at most 17", n, i)
			break
		}
	}
}

// TestUnreachableRelayStopsAtOnce: when no relay accepts a connection and
// nothing has been sent, the run stops with the reason instead of retrying
// for minutes; the deliveries stay queued for the next run.
func TestUnreachableRelayStopsAtOnce(t *testing.T) {
	e := newEnv(t, 10)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := e.config(mailer.Relay{Name: "nowhere", Host: "127.0.0.1", Port: port, TLS: tlsmode.None, Concurrency: 3, Timeout: time.Second})
	cfg.RetryBackoff = time.Minute
	start := time.Now()
	res, err := e.run(t, context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "cannot connect to the SMTP relay nowhere") {
		t.Fatalf("run = %+v, %v; want a connection error naming the relay", res, err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("took %s to give up", el)
	}
	st := e.stats(t)
	if st.Sent != 0 || st.Failed != 0 || st.Queued+st.Deferred != 10 {
		t.Errorf("stats = %+v; want all 10 still owed", st)
	}
}

// TestProgressCountsDeliveriesWaiting: the progress line's "retrying" is
// how many deliveries wait for a retry now, not how many retries there
// were: two deliveries deferred twice each never show more than two.
func TestProgressCountsDeliveriesWaiting(t *testing.T) {
	e := newEnv(t, 4)
	e.srv.FailRcptTimes("user1@example.com", 2, 451, "4.7.1", "greylisted")
	e.srv.FailRcptTimes("user2@example.com", 2, 451, "4.7.1", "greylisted")
	cfg := e.config(e.relay(2))
	cfg.RetryBackoff = 500 * time.Millisecond
	s, err := mailer.New(cfg, e.store)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	maxRetrying, last := 0, mailer.Progress{}
	res, err := s.Run(context.Background(), mailer.Campaign{ID: e.campaign.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue},
		func(p mailer.Progress) {
			mu.Lock()
			defer mu.Unlock()
			maxRetrying, last = max(maxRetrying, p.Retrying), p
		})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.Sent != 4 || last.Deferred != 4 {
		t.Fatalf("run = %+v, last progress %+v; want 4 sent after 4 retries", res, last)
	}
	if maxRetrying < 1 || maxRetrying > 2 || last.Retrying != 0 {
		t.Errorf("retrying peaked at %d and ended at %d; want 1 or 2 (two deliveries), then 0", maxRetrying, last.Retrying)
	}
}

// TestNotAuthenticatedPausesWithDoctorHint: a provider saying our mail is
// not authenticated (Outlook's 5.7.515, Gmail's 4.7.27) pauses the
// campaign mid-run with the doctor's hint, and the delivery waits for the
// resume instead of failing: the recipient did nothing wrong.
func TestNotAuthenticatedPausesWithDoctorHint(t *testing.T) {
	tests := []struct {
		name, status, text string
		code               int
	}{
		{"outlook 5.7.515", "5.7.515", "Access denied, sending domain example.com does not meet the required authentication level", 550},
		{"gmail 4.7.27", "4.7.27", "Your email has been rate limited because SPF authentication didn't pass for this message", 421},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 6)
			e.srv.FailRcpt("user3@example.com", tc.code, tc.status, tc.text)
			res, err := e.run(t, context.Background(), e.config(e.relay(1)))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Paused || !strings.Contains(res.PauseReason, tc.status) || !strings.Contains(res.PauseReason, "dispatch doctor") {
				t.Fatalf("run = %+v; want paused with the reply and the doctor's hint", res)
			}
			if res.Sent < 3 || res.Failed != 0 || res.Bounced != 0 {
				t.Errorf("run = %+v; want the earlier messages sent and nothing failed or bounced", res)
			}
			d := e.delivery(t, "user3@example.com")
			if d.Status != subscribers.DeliveryDeferred {
				t.Errorf("user3's delivery is %s; want deferred, to be sent on resume", d.Status)
			}
			sub, _ := e.store.FindSubscriberByEmail(context.Background(), "user3@example.com")
			if sub.Status != subscribers.StatusActive {
				t.Errorf("user3 is %s; want active", sub.Status)
			}
		})
	}
}

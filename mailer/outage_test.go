package mailer_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
)

// runWithProgress runs the campaign and keeps every progress snapshot.
func (e *env) runWithProgress(t *testing.T, ctx context.Context, cfg mailer.Config) (*mailer.RunResult, []mailer.Progress, error) {
	t.Helper()
	s, err := mailer.New(cfg, e.store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StartCampaignRun(ctx, e.campaign.ID); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []mailer.Progress
	res, err := s.Run(ctx, mailer.Campaign{ID: e.campaign.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue},
		func(p mailer.Progress) {
			mu.Lock()
			seen = append(seen, p)
			mu.Unlock()
		})
	mu.Lock()
	defer mu.Unlock()
	return res, seen, err
}

// receivedCounts counts the messages the server accepted per recipient and how
// many of them were second copies.
func receivedCounts(e *env) (map[string]int, int) {
	counts := map[string]int{}
	dups := 0
	for _, m := range e.srv.Messages() {
		counts[m.To[0]]++
		if counts[m.To[0]] > 1 {
			dups++
		}
	}
	return counts, dups
}

// TestRelayOutageCostsNoAttempts: the relay goes down in the middle of a
// send for much longer than all of a recipient's retries would take, and
// comes back. The run waits for it, says so, and everyone gets the issue;
// nobody fails. Messages cut off after they were transmitted are the only
// possible duplicates, and each is reported.
func TestRelayOutageCostsNoAttempts(t *testing.T) {
	const n = 60
	e := newEnv(t, n)
	e.srv.SetDelay(3 * time.Millisecond)
	cfg := e.config(e.relay(4))
	cfg.RetryBackoff, cfg.MaxAttempts = 10*time.Millisecond, 2 // every retry used up within 30ms
	ctx := context.Background()
	go func() {
		e.srv.WaitMessages(ctx, 15)
		e.srv.Down()
		time.Sleep(800 * time.Millisecond)
		if err := e.srv.Up(); err != nil {
			t.Error(err)
		}
	}()
	res, progress, err := e.runWithProgress(t, ctx, cfg)
	if err != nil {
		t.Fatalf("run = %+v, %v", res, err)
	}
	st := e.stats(t)
	if st.Sent != n || st.Failed != 0 || res.Failed != 0 || res.Paused {
		t.Errorf("after the outage: %+v, run %+v; want all %d sent, none failed", st, res, n)
	}
	counts, dups := receivedCounts(e)
	if len(counts) != n {
		t.Errorf("%d recipients reached; want %d", len(counts), n)
	}
	if dups > st.PossibleDuplicates || st.PossibleDuplicates != res.Ambiguous {
		t.Errorf("%d duplicates received, %d reported, %d counted in the run; want every one reported",
			dups, st.PossibleDuplicates, res.Ambiguous)
	}
	if res.RelayOutages != 1 || res.RelayDown <= 0 {
		t.Errorf("run reports %d outages lasting %s; want 1", res.RelayOutages, res.RelayDown)
	}
	waited := false
	for _, p := range progress {
		if !p.RelayDownSince.IsZero() && strings.Contains(p.Waiting, "waiting for the SMTP relay") {
			waited = true
		}
	}
	if !waited {
		t.Error("no progress snapshot said the run was waiting for the relay")
	}
	var maxAttempts int
	for _, d := range sqlitetest.Deliveries(t, e.store, e.campaign.ID) {
		maxAttempts = max(maxAttempts, d.Attempts)
	}
	if maxAttempts > cfg.MaxAttempts {
		t.Errorf("a delivery was tried %d times; want at most %d", maxAttempts, cfg.MaxAttempts)
	}
}

// TestRelayDownPausesTheCampaign: a relay that stays down past
// RelayDownPause pauses the campaign with the reason; nobody failed, and
// the next run, with the relay back, sends the rest.
func TestRelayDownPausesTheCampaign(t *testing.T) {
	const n = 40
	e := newEnv(t, n)
	e.srv.SetDelay(3 * time.Millisecond)
	cfg := e.config(e.relay(2))
	cfg.RetryBackoff, cfg.MaxAttempts, cfg.RelayDownPause = 10*time.Millisecond, 2, 400*time.Millisecond
	ctx := context.Background()
	go func() {
		e.srv.WaitMessages(ctx, 10)
		e.srv.Down()
	}()
	res, err := e.run(t, ctx, cfg)
	if err != nil || !res.Paused || !strings.Contains(res.PauseReason, "relay_down_pause") {
		t.Fatalf("run = %+v, %v; want paused for the relay", res, err)
	}
	st := e.stats(t)
	if st.Failed != 0 || st.Sending != 0 || st.Sent+st.Queued+st.Deferred != n {
		t.Errorf("stats after the pause = %+v; want nothing failed or in flight, everyone else still owed", st)
	}
	if err := e.srv.Up(); err != nil {
		t.Fatal(err)
	}
	res, err = e.run(t, ctx, cfg)
	if err != nil || res.Paused {
		t.Fatalf("run after the relay came back = %+v, %v", res, err)
	}
	if st := e.stats(t); st.Sent != n || st.Failed != 0 {
		t.Errorf("stats = %+v; want all %d sent", st, n)
	}
}

// TestRelayGreeting421CostsNoAttempts: a relay answering new connections
// with "421 service not available" is waited for like one that refuses
// them.
func TestRelayGreeting421CostsNoAttempts(t *testing.T) {
	const n = 30
	e := newEnv(t, n)
	e.srv.DropAfterMessages(3) // every few messages a new connection, and a new greeting
	cfg := e.config(e.relay(2))
	cfg.MaxAttempts = 1 // a single counted failure would fail someone for good
	ctx := context.Background()
	go func() {
		e.srv.WaitMessages(ctx, 8)
		e.srv.SetUnavailable(true)
		time.Sleep(300 * time.Millisecond)
		e.srv.SetUnavailable(false)
	}()
	res, err := e.run(t, ctx, cfg)
	if err != nil {
		t.Fatalf("run = %+v, %v", res, err)
	}
	if st := e.stats(t); st.Sent != n || st.Failed != 0 {
		t.Errorf("stats = %+v; want all %d sent, none failed", st, n)
	}
	if e.srv.Stats().TurnedAway == 0 {
		t.Error("the relay never turned a connection away; the test did not test anything")
	}
}

// TestUnreachableFromTheStartKeepsAttempts: a relay that never answers
// stops the run at once, and the deliveries it could not start keep their
// attempts.
func TestUnreachableFromTheStartKeepsAttempts(t *testing.T) {
	e := newEnv(t, 5)
	e.srv.Down()
	res, err := e.run(t, context.Background(), e.config(e.relay(2)))
	if err == nil || !strings.Contains(err.Error(), "no message went out") {
		t.Fatalf("run = %+v, %v; want the relay named and nothing sent", res, err)
	}
	var attempts int
	for _, d := range sqlitetest.Deliveries(t, e.store, e.campaign.ID) {
		attempts += d.Attempts
	}
	if attempts != 0 {
		t.Errorf("%d attempts used against an unreachable relay; want 0", attempts)
	}
	if st := e.stats(t); st.Queued+st.Deferred != 5 {
		t.Errorf("stats = %+v; want all 5 owed", st)
	}
}

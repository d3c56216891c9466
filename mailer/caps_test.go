package mailer_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestHourlyCapCountsEarlierCampaigns: a run learns from the ledger what
// was sent in the last hour, by any campaign, and stops at the cap with
// the rest still queued, saying what it waits for.
func TestHourlyCapCountsEarlierCampaigns(t *testing.T) {
	e := newEnv(t, 5)
	ctx := context.Background()
	if res, err := e.run(t, ctx, e.config()); err != nil || res.Sent != 5 {
		t.Fatalf("first campaign = %+v, %v", res, err)
	}

	snap, _ := json.Marshal(e.issue.Snapshot())
	second, err := e.store.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "weekly-2", ListID: e.list.ID,
		Subject: e.issue.Subject, IssuePath: "weekly.md", Snapshot: snap})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.StartCampaignRun(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.HourlyLimit = 7
	s, err := mailer.New(cfg, e.store)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var waiting string
	res, err := s.Run(runCtx, mailer.Campaign{ID: second.ID, ListID: e.list.ID, ListName: e.list.Name, Issue: e.issue},
		func(p mailer.Progress) {
			if strings.Contains(p.Waiting, "hourly limit") {
				mu.Lock()
				waiting = p.Waiting
				mu.Unlock()
				cancel()
			}
		})
	if !res.Interrupted || res.Sent != 2 {
		t.Fatalf("second campaign = %+v, %v; want 2 sent, then interrupted while waiting", res, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(waiting, "sending resumes at") {
		t.Errorf("waiting = %q; want when sending resumes", waiting)
	}
	st, err := e.store.FindCampaignStats(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 2 || st.Queued != 3 || st.Sending != 0 {
		t.Errorf("second campaign ledger = %+v; want 2 sent, 3 queued, none in flight", st)
	}
	if n := len(e.srv.Messages()); n != 7 {
		t.Errorf("server received %d in all; want the cap of 7", n)
	}
}

package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestScheduledCampaignStartsAtItsTimeWithTheListThen: nothing is written
// for the recipients before the time; at the time, the list's members
// then are the recipients.
func TestScheduledCampaignStartsAtItsTimeWithTheListThen(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	now := time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC)
	svc := e.serviceAs(owner("host-a", 100), func() time.Time { return now })
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	at := now.Add(2 * time.Hour)
	c, err := svc.Schedule(ctx, p, at, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Report(ctx, c.ID)
	if err != nil || rep.State() != campaign.StateScheduled || rep.Stats.Recipients != 0 {
		t.Fatalf("Report = %+v, %v; want scheduled with no deliveries", rep, err)
	}
	if _, err := svc.Prepare(ctx, e.draft(t, issueV1)); err == nil {
		t.Error("Prepare of a scheduled issue = nil; want a ScheduledError")
	}
	if _, err := svc.Schedule(ctx, &campaign.Plan{Campaign: c, Issue: p.Issue, List: e.list}, at, ""); !errors.Is(err, campaign.ErrExists) {
		t.Errorf("Schedule over an existing campaign = %v; want ErrExists", err)
	}
	if _, err := svc.StartCampaign(ctx, c.ID); !errors.Is(err, campaign.ErrNotDue) {
		t.Fatalf("StartCampaign before its time = %v; want ErrNotDue", err)
	}
	if _, err := e.store.AddSubscriber(ctx, subscribers.AddInput{Email: "late@example.com", Lists: []string{"clients"}}); err != nil {
		t.Fatal(err)
	}
	now = at
	run, err := svc.StartCampaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Owed != 4 {
		t.Errorf("owed at start = %d; want 4, the list at the time", run.Owed)
	}
	out, err := run.Send(ctx, nil)
	if err != nil || out.Campaign.Status != subscribers.CampaignFinished || out.Stats.Sent != 4 {
		t.Errorf("Send = %+v, %v; want finished with 4 sent", out, err)
	}
}

func TestCancelledScheduledCampaignNeverStarts(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	svc := e.service(nil)
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Schedule(ctx, p, time.Now().Add(-time.Second), "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Cancel(ctx, c.ID)
	if err != nil || res.Skipped != 0 {
		t.Fatalf("Cancel = %+v, %v", res, err)
	}
	if _, err := svc.StartCampaign(ctx, c.ID); !errors.Is(err, campaign.ErrFinished) {
		t.Errorf("StartCampaign of a cancelled campaign = %v; want ErrFinished", err)
	}
	rep, _ := svc.Report(ctx, c.ID)
	if rep.State() != campaign.StateCancelled || rep.Stats.Recipients != 0 || len(e.srv.Messages()) != 0 {
		t.Errorf("after cancel: state %s, %d deliveries, %d messages; want cancelled, none, none", rep.State(), rep.Stats.Recipients, len(e.srv.Messages()))
	}
}

// TestRunnerSendsDueAndOrphanedCampaigns runs the runner over a campaign
// scheduled in the past and one a dead process left half sent (handed to
// the runner by a resume), and waits until both are finished.
func TestRunnerSendsDueAndOrphanedCampaigns(t *testing.T) {
	e := newEnv(t, 5)
	ctx := context.Background()
	svc := e.serviceAs(owner("host-r", 300), nil)
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	scheduled, err := svc.Schedule(ctx, p, time.Now().Add(-time.Minute), "")
	if err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	d := e.draft(t, issueV2)
	d.Issue.ID = "weekly-2"
	orphan := started(t, e.serviceAs(owner("host-r", dead.Process.Pid), nil), d)
	if err := e.store.ResumeCampaign(ctx, orphan.Campaign.ID, true); err != nil {
		t.Fatal(err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- campaign.NewRunner(svc, campaign.RunnerConfig{Poll: 10 * time.Millisecond}).Run(runCtx)
	}()
	deadline := time.Now().Add(time.Minute)
	for _, id := range []int64{scheduled.ID, orphan.Campaign.ID} {
		for {
			rep, err := svc.Report(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rep.State() == campaign.StateFinished {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("campaign %d is %s with %+v; want finished by the runner", id, rep.State(), rep.Stats)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// The console of the same `dispatch serve` sees its runner up.
	runner, err := svc.LiveRunner(ctx)
	if err != nil || runner == nil || runner.Owner.Host != "host-r" {
		t.Errorf("LiveRunner from the runner's own process = %+v, %v; want its own runner", runner, err)
	}
	other, err := e.serviceAs(owner("host-x", 1), nil).LiveRunner(ctx)
	if err != nil || other == nil || other.Owner.Host != "host-r" {
		t.Errorf("LiveRunner from another process = %+v, %v; want host-r's runner", other, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v; want context.Canceled", err)
	}
	if n := len(e.srv.Messages()); n != 10 {
		t.Errorf("relay got %d messages; want 10 (5 per campaign)", n)
	}
	if l, err := e.store.FindLease(ctx, subscribers.RunnerLease); err == nil {
		t.Errorf("runner lease %s still held after Run returned", fmt.Sprint(l.Owner))
	}
}

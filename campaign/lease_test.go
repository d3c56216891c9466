package campaign_test

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

func owner(host string, pid int) subscribers.LeaseOwner {
	return subscribers.LeaseOwner{Host: host, PID: pid, Process: "serve", Started: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
}

func (e *env) serviceAs(o subscribers.LeaseOwner, now func() time.Time) *campaign.Service {
	return campaign.New(campaign.Config{Sender: e.sender, Owner: o, Now: now}, e.store)
}

// started prepares and starts a campaign without sending it: its lease is
// held as by a process that is sending it.
func started(t *testing.T, svc *campaign.Service, d campaign.Draft) *campaign.Run {
	t.Helper()
	p, err := svc.Prepare(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Start(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLeaseRefusesAnotherLiveProcess(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	a := e.serviceAs(owner("host-a", 100), nil)
	run := started(t, a, e.draft(t, issueV1))
	// The same campaign needs to exist before a second process can find it.
	b := e.serviceAs(owner("host-b", 200), nil)
	_, err := b.Prepare(ctx, e.draft(t, issueV1))
	var running *campaign.RunningError
	if !errors.As(err, &running) || running.Lease.Owner.Host != "host-a" || running.Lease.Owner.PID != 100 {
		t.Fatalf("Prepare while host-a runs it = %v; want a RunningError naming host-a pid 100", err)
	}
	rep, err := b.Report(ctx, run.Campaign.ID)
	if err != nil || rep.State() != campaign.StateRunning || rep.Runner.Owner.Process != "serve" {
		t.Errorf("Report = %+v, %v; want running in serve", rep, err)
	}
	if _, err := run.Send(ctx, nil); err != nil {
		t.Fatal(err)
	}
	p, err := b.Prepare(ctx, e.draft(t, issueV1))
	if err != nil || !p.Finished {
		t.Errorf("Prepare after the run = %+v, %v; want the finished campaign, lease released", p, err)
	}
}

func TestStaleLeaseIsTakenOver(t *testing.T) {
	deadPID := func(t *testing.T) int {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal("no `true` to make a dead pid:", err)
		}
		return cmd.Process.Pid
	}
	for _, tc := range []struct {
		name   string
		holder func(t *testing.T) subscribers.LeaseOwner
		later  time.Duration
	}{
		{name: "heartbeat too old", holder: func(*testing.T) subscribers.LeaseOwner { return owner("host-a", 100) }, later: time.Minute},
		{name: "process gone on this host", holder: func(t *testing.T) subscribers.LeaseOwner { return owner("host-b", deadPID(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 3)
			ctx := context.Background()
			dead := started(t, e.serviceAs(tc.holder(t), nil), e.draft(t, issueV1))
			later := func() time.Time { return time.Now().Add(tc.later) }
			b := e.serviceAs(owner("host-b", 200), later)
			p, err := b.Prepare(ctx, e.draft(t, issueV1))
			if err != nil {
				t.Fatalf("Prepare over a stale lease = %v; want it taken over", err)
			}
			r, err := b.Start(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			out, err := r.Send(ctx, nil)
			if err != nil || out.Campaign.ID != dead.Campaign.ID || out.Stats.Sent != 3 {
				t.Errorf("Send = %+v, %v; want campaign %d finished by the new holder", out, err, dead.Campaign.ID)
			}
			if err := e.store.RenewLease(ctx, subscribers.CampaignLease(dead.Campaign.ID), tc.holder(t), ""); !errors.Is(err, subscribers.ErrLeaseLost) {
				t.Errorf("renew by the old holder = %v; want ErrLeaseLost", err)
			}
		})
	}
}

func TestPauseAndResumeWithNoOneRunningIt(t *testing.T) {
	e := newEnv(t, 4)
	ctx := context.Background()
	svc := e.service(nil)
	run := started(t, svc, e.draft(t, issueV1))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := run.Send(cancelled, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Send = %v", err)
	}
	id := run.Campaign.ID
	res, err := svc.Pause(ctx, id)
	if err != nil || res.Asked != nil {
		t.Fatalf("Pause = %+v, %v; want paused directly", res, err)
	}
	var held *campaign.HeldError
	if _, err := svc.Prepare(ctx, e.draft(t, issueV1)); !errors.As(err, &held) || held.Hold != subscribers.HoldOperator {
		t.Fatalf("Prepare of a paused campaign = %v; want a HeldError: only an explicit resume sends it", err)
	}
	if res, err := svc.Resume(ctx, id); err != nil || res.Runner != nil {
		t.Fatalf("Resume = %+v, %v; want resumed, no runner", res, err)
	}
	out := e.send(t, svc, e.draft(t, issueV1))
	if out.Campaign.Status != subscribers.CampaignFinished || out.Stats.Sent != 4 {
		t.Errorf("send after resume = %+v; want finished with 4 sent", out.Stats)
	}
	if _, err := svc.Pause(ctx, id); !errors.Is(err, campaign.ErrFinished) {
		t.Errorf("Pause of a finished campaign = %v; want ErrFinished", err)
	}
}

// TestPauseAndCancelReachTheProcessRunningIt asks a running campaign to
// stop through the store, as `dispatch campaigns pause|cancel` does from
// another process. The relay is slow enough that the run cannot finish
// before the first heartbeat.
func TestPauseAndCancelReachTheProcessRunningIt(t *testing.T) {
	for _, tc := range []struct {
		name       string
		act        func(*campaign.Service, int64) (*campaign.Control, error)
		wantStatus subscribers.CampaignStatus
		cancelled  bool
	}{
		{name: "pause", act: func(s *campaign.Service, id int64) (*campaign.Control, error) {
			return s.Pause(context.Background(), id)
		},
			wantStatus: subscribers.CampaignPaused},
		{name: "cancel", act: func(s *campaign.Service, id int64) (*campaign.Control, error) {
			return s.Cancel(context.Background(), id)
		},
			wantStatus: subscribers.CampaignFinished, cancelled: true},
	} {
		// The asker is another process (`dispatch campaigns pause`), or
		// the same one: the console of the `dispatch serve` whose runner
		// sends the campaign, which must not take it for interrupted.
		for _, asker := range []subscribers.LeaseOwner{owner("host-b", 200), owner("host-a", 100)} {
			t.Run(tc.name+" from "+asker.Host, func(t *testing.T) {
				e := newEnv(t, 40)
				e.srv.SetDelay(50 * time.Millisecond)
				ctx := context.Background()
				a := campaign.New(campaign.Config{Sender: e.sender, Owner: owner("host-a", 100), Heartbeat: 10 * time.Millisecond}, e.store)
				run := started(t, a, e.draft(t, issueV1))
				svc := e.serviceAs(asker, nil)
				rep, err := svc.Report(ctx, run.Campaign.ID)
				if err != nil {
					t.Fatal(err)
				}
				if st := rep.State(); st != campaign.StateRunning {
					t.Fatalf("Report from %s: %s; want running", asker.Host, st)
				}
				res, err := tc.act(svc, run.Campaign.ID)
				if err != nil || res.Asked == nil || res.Asked.Owner.Host != "host-a" {
					t.Fatalf("%s = %+v, %v; want host-a asked", tc.name, res, err)
				}
				out, err := run.Send(ctx, nil)
				if err != nil {
					t.Fatalf("Send = %v; want a clean stop", err)
				}
				if out.Campaign.Status != tc.wantStatus || out.Cancelled != tc.cancelled || out.Stats.Sent >= 40 {
					t.Errorf("after %s: status %s, cancelled %v, %d sent; want %s, %v, fewer than 40", tc.name,
						out.Campaign.Status, out.Cancelled, out.Stats.Sent, tc.wantStatus, tc.cancelled)
				}
				if tc.cancelled && out.Stats.Queued+out.Stats.Deferred+out.Stats.Sending != 0 {
					t.Errorf("cancelled campaign still owes %+v; want nothing", out.Stats)
				}
			})
		}
	}
}

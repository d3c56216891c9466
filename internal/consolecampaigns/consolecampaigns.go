// Package consolecampaigns adapts the send use case (package campaign) to
// the console's Campaigns interface. The console may not import campaign
// (it would bring the mailer in); this adapter is the one place where the
// two meet, used by `dispatch serve` and by the console's tests.
package consolecampaigns

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/mailer"
)

// Adapter is a console.Campaigns over a *campaign.Service.
type Adapter struct{ svc *campaign.Service }

var _ console.Campaigns = (*Adapter)(nil)

// New returns the console's view of svc. svc needs no Sender: the console
// pauses, resumes and cancels, and the runner of `dispatch serve` sends.
func New(svc *campaign.Service) *Adapter { return &Adapter{svc: svc} }

// Live reports a campaign as the console shows it.
func (a *Adapter) Live(ctx context.Context, id int64) (*console.CampaignLive, error) {
	r, err := a.svc.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	runner, err := a.svc.LiveRunner(ctx)
	if err != nil {
		return nil, err
	}
	out := &console.CampaignLive{Campaign: r.Campaign, Stats: r.Stats, Control: r.Control, State: string(r.State()),
		Runner: r.Runner, RunnerUp: runner != nil}
	if r.Runner != nil {
		out.Waiting = r.Runner.Note
		out.WaitReason = string(mailer.WaitReasonOf(r.Runner.Note))
	}
	return out, nil
}

// Pause pauses a campaign until an explicit resume.
func (a *Adapter) Pause(ctx context.Context, id int64) (console.ControlResult, error) {
	c, err := a.svc.Pause(ctx, id)
	return result(c), refused(err)
}

// Resume hands a paused or interrupted campaign to the runner.
func (a *Adapter) Resume(ctx context.Context, id int64) (console.ControlResult, error) {
	c, err := a.svc.Resume(ctx, id)
	return result(c), refused(err)
}

// Cancel ends a campaign for good.
func (a *Adapter) Cancel(ctx context.Context, id int64) (console.ControlResult, error) {
	c, err := a.svc.Cancel(ctx, id)
	return result(c), refused(err)
}

func result(c *campaign.Control) console.ControlResult {
	if c == nil {
		return console.ControlResult{}
	}
	return console.ControlResult{Asked: c.Asked != nil, Already: c.Already, RunnerUp: c.Runner != nil, Skipped: c.Skipped}
}

// refused turns the refusals of the campaign's state into the console's
// RefusedError, worded for the page.
func refused(err error) error {
	var sched *campaign.ScheduledError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, campaign.ErrFinished):
		return &console.RefusedError{Reason: "The campaign has finished or was cancelled: there is nothing left to change."}
	case errors.As(err, &sched):
		return &console.RefusedError{Reason: fmt.Sprintf("The campaign is scheduled for %s and has not started: cancel it instead.",
			campaign.FormatAt(sched.At, sched.Zone))}
	}
	return err
}

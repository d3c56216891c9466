package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// Run is a campaign whose run has started: created or resumed, with the
// deliveries a dead run left in flight queued again. Send it once.
type Run struct {
	svc *Service
	// Campaign is the campaign as it stood when the run started.
	Campaign *subscribers.Campaign
	// Created reports that Start created the campaign.
	Created bool
	// Recovered counts deliveries a run that died left in flight: they are
	// sent again and may arrive twice.
	Recovered int
	// Owed is how many recipients the run still has to send to.
	Owed  int
	list  *subscribers.List
	issue *templates.Compiled
}

// Start creates the plan's campaign (one queued delivery per active
// subscriber, with the issue's snapshot) or takes up the one it resumes,
// and starts a run of it.
func (s *Service) Start(ctx context.Context, p *Plan) (*Run, error) {
	r := &Run{svc: s, Campaign: p.Campaign, Owed: p.Owed, list: p.List, issue: p.Issue}
	if r.Campaign == nil {
		snap, err := json.Marshal(p.Issue.Snapshot())
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", p.Issue.ID, err)
		}
		c, err := s.store.CreateCampaign(ctx, subscribers.NewCampaign{
			Slug:      p.Issue.ID,
			ListID:    p.List.ID,
			Subject:   p.Issue.Subject,
			IssuePath: p.Path,
			Snapshot:  snap,
		})
		if err != nil {
			return nil, err
		}
		r.Campaign, r.Created = c, true
	}
	n, err := s.store.StartCampaignRun(ctx, r.Campaign.ID)
	if err != nil {
		return nil, fmt.Errorf("start campaign %d: %w", r.Campaign.ID, err)
	}
	r.Recovered = n
	return r, nil
}

// Outcome is how a run left its campaign.
type Outcome struct {
	// Campaign is the campaign as it stands after the run.
	Campaign *subscribers.Campaign
	Stats    subscribers.CampaignStats
	// Result is the mailer's account of the run; nil when the run failed
	// before sending.
	Result *mailer.RunResult
	// Recovered is Run.Recovered: possible duplicates found at the start.
	Recovered int
}

// Paused reports whether the run paused the campaign.
func (o *Outcome) Paused() bool { return o.Result != nil && o.Result.Paused }

// Send runs the campaign until nothing is owed, the context is cancelled
// or the run pauses, then records where the campaign stands. It blocks;
// progress, if set, is called from a goroutine Send owns. The error is the
// run's (context.Canceled when interrupted), joined with any error of
// recording the end; the Outcome is nil only when the end could not be
// recorded.
func (r *Run) Send(ctx context.Context, progress func(mailer.Progress)) (*Outcome, error) {
	res, runErr := r.svc.cfg.Sender.Run(ctx, mailer.Campaign{
		ID:        r.Campaign.ID,
		ListID:    r.list.ID,
		ListName:  r.list.Name,
		ListTitle: r.list.Title,
		Issue:     r.issue,
	}, progress)
	// The run is over; recording it must not be cut short by the
	// interruption that may have ended it.
	out, err := r.svc.finish(context.WithoutCancel(ctx), r.Campaign.ID, res, runErr)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	out.Recovered = r.Recovered
	return out, runErr
}

// finish records the end of a run: its time and the campaign's status.
func (s *Service) finish(ctx context.Context, id int64, res *mailer.RunResult, runErr error) (*Outcome, error) {
	st, err := s.store.FindCampaignStats(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: count its deliveries after the run: %w", id, err)
	}
	status, reason := settle(res, runErr, st)
	var elapsed time.Duration
	if res != nil {
		elapsed = res.Elapsed
	}
	if err := s.store.EndCampaignRun(ctx, id, elapsed, status, reason); err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	c, err := s.store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: read it after the run: %w", id, err)
	}
	return &Outcome{Campaign: c, Stats: st, Result: res}, nil
}

// settle decides where a campaign stands after a run: paused when the run
// paused it, finished when it ended cleanly with nothing owed, otherwise
// still sending (interrupted or failed: running it again resumes it).
func settle(res *mailer.RunResult, runErr error, st subscribers.CampaignStats) (subscribers.CampaignStatus, string) {
	switch {
	case res != nil && res.Paused:
		return subscribers.CampaignPaused, res.PauseReason
	case runErr == nil && st.Done():
		return subscribers.CampaignFinished, ""
	}
	return subscribers.CampaignSending, ""
}

// Report is a campaign with its counts.
type Report struct {
	Campaign *subscribers.Campaign
	Stats    subscribers.CampaignStats
}

// Report returns a campaign and its counts, or subscribers.ErrNotFound.
func (s *Service) Report(ctx context.Context, id int64) (*Report, error) {
	c, err := s.store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.store.FindCampaignStats(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	return &Report{Campaign: c, Stats: st}, nil
}

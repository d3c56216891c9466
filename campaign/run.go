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
	// clickTokens: the issue's tracked links carry each delivery's token.
	clickTokens bool
}

// Start creates the plan's campaign (one queued delivery per active
// subscriber, with the issue's snapshot) or takes up the one it resumes,
// and starts a run of it.
func (s *Service) Start(ctx context.Context, p *Plan) (*Run, error) {
	r := &Run{svc: s, Campaign: p.Campaign, Owed: p.Owed, list: p.List, issue: p.Issue}
	var set *subscribers.CampaignTracking
	if r.Campaign == nil {
		nc, err := newCampaign(p)
		if err != nil {
			return nil, err
		}
		c, err := s.store.CreateCampaign(ctx, nc)
		if err != nil {
			return nil, err
		}
		r.Campaign, r.Created = c, true
		set = &p.Tracking
	}
	var err error
	if r.issue, r.clickTokens, err = s.trackIssue(ctx, r.Campaign.ID, p.Issue, set); err != nil {
		return nil, err
	}
	if err := s.begin(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// newCampaign describes the plan's campaign, with its issue's snapshot.
func newCampaign(p *Plan) (subscribers.NewCampaign, error) {
	snap, err := json.Marshal(p.Issue.Snapshot())
	if err != nil {
		return subscribers.NewCampaign{}, fmt.Errorf("snapshot %s: %w", p.Issue.ID, err)
	}
	return subscribers.NewCampaign{
		Slug:      p.Issue.ID,
		ListID:    p.List.ID,
		Subject:   p.Issue.Subject,
		IssuePath: p.Path,
		Snapshot:  snap,
	}, nil
}

// begin takes the campaign's lease and starts its run.
func (s *Service) begin(ctx context.Context, r *Run) error {
	id := r.Campaign.ID
	if err := s.acquire(ctx, id); err != nil {
		return err
	}
	n, err := s.store.StartCampaignRun(ctx, id)
	if err != nil {
		s.release(ctx, id)
		return fmt.Errorf("start campaign %d: %w", id, err)
	}
	r.Recovered = n
	return nil
}

// release gives up a campaign's lease; failing to is only logged, since
// the lease goes stale by itself.
func (s *Service) release(ctx context.Context, id int64) {
	if err := s.store.ReleaseLease(context.WithoutCancel(ctx), subscribers.CampaignLease(id), s.cfg.Owner); err != nil {
		s.cfg.Logger.Warn("release campaign lease", "campaign", id, "err", err)
	}
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
	// Cancelled reports that an operator cancelled the campaign during
	// the run.
	Cancelled bool
	// Hold says why a paused campaign waits for an explicit resume.
	Hold subscribers.CampaignHold
}

// Paused reports whether the run left the campaign paused.
func (o *Outcome) Paused() bool { return o.Campaign.Status == subscribers.CampaignPaused }

// Send runs the campaign until nothing is owed, the context is cancelled,
// the run pauses or an operator pauses or cancels it, then records where
// the campaign stands and gives up its lease. It blocks; progress, if set,
// is called from a goroutine Send owns. The error is the run's
// (context.Canceled when interrupted), joined with any error of recording
// the end; the Outcome is nil only when the end could not be recorded.
func (r *Run) Send(ctx context.Context, progress func(mailer.Progress)) (*Outcome, error) {
	s := r.svc
	defer s.release(ctx, r.Campaign.ID)
	base, err := s.store.FindCampaignStats(context.WithoutCancel(ctx), r.Campaign.ID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", r.Campaign.ID, err)
	}
	g := newGuard(s.cfg.Guardrails, base)
	runCtx, cancel := context.WithCancelCause(ctx)
	note := &noteBox{}
	beat := make(chan struct{})
	go func() {
		defer close(beat)
		r.heartbeat(runCtx, cancel, note, g)
	}()
	res, runErr := s.cfg.Sender.Run(runCtx, mailer.Campaign{
		ID:          r.Campaign.ID,
		ListID:      r.list.ID,
		ListName:    r.list.Name,
		ListTitle:   r.list.Title,
		ListPublic:  r.list.IsPublic(),
		Slug:        r.Campaign.Slug,
		Issue:       r.issue,
		ClickTokens: r.clickTokens,
		Guard:       g.check,
	}, func(p mailer.Progress) {
		note.set(p.Waiting)
		if progress != nil {
			progress(p)
		}
	})
	cause := context.Cause(runCtx)
	cancel(nil)
	<-beat
	var stop *stopCause
	switch {
	case errors.As(cause, &stop):
		runErr = nil // stopped as asked, not interrupted
	case ctx.Err() == nil && cause != nil && !errors.Is(cause, context.Canceled):
		runErr = cause // the lease was lost
	}
	// The run is over; recording it must not be cut short by the
	// interruption that may have ended it.
	if stop == nil && res != nil && res.Paused && (res.NotAuthenticated || g.fired() != "") {
		// A guardrail the mailer applied: held like one the heartbeat applies.
		stop = &stopCause{request: subscribers.RequestPause, hold: subscribers.HoldGuardrail, reason: res.PauseReason}
	}
	out, err := s.finish(context.WithoutCancel(ctx), r.Campaign.ID, res, runErr, stop)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	out.Recovered = r.Recovered
	return out, runErr
}

// finish records the end of a run: its time, the campaign's status, and
// what an operator asked for.
func (s *Service) finish(ctx context.Context, id int64, res *mailer.RunResult, runErr error, stop *stopCause) (*Outcome, error) {
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
	out := &Outcome{Result: res}
	if err := s.applyStop(ctx, id, status, stop, out); err != nil {
		return nil, err
	}
	if out.Cancelled {
		// Cancelling skipped what was owed.
		if st, err = s.store.FindCampaignStats(ctx, id); err != nil {
			return nil, fmt.Errorf("campaign %d: count its deliveries after cancelling: %w", id, err)
		}
	}
	c, err := s.store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: read it after the run: %w", id, err)
	}
	out.Campaign, out.Stats = c, st
	return out, nil
}

// applyStop carries out an operator's pause or cancel once the run has
// stopped; a campaign that finished meanwhile stays finished.
func (s *Service) applyStop(ctx context.Context, id int64, status subscribers.CampaignStatus, stop *stopCause, out *Outcome) error {
	switch {
	case stop == nil:
		return nil
	case status == subscribers.CampaignFinished:
		return s.store.SetCampaignRequest(ctx, id, subscribers.RequestNone)
	case stop.request == subscribers.RequestCancel:
		if _, err := s.store.CancelCampaign(ctx, id); err != nil {
			return err
		}
		out.Cancelled = true
		return nil
	}
	out.Hold = stop.hold
	return s.store.HoldCampaign(ctx, id, stop.hold, stop.reason)
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

// Report is a campaign with its counts, how it is driven and who runs it.
type Report struct {
	Campaign *subscribers.Campaign
	Stats    subscribers.CampaignStats
	Control  subscribers.CampaignControl
	// Runner is the lease of the live process running the campaign; nil
	// when none does.
	Runner *subscribers.Lease
}

// State is where a campaign stands, as people are told.
type State string

const (
	StateScheduled   State = "scheduled"   // waits for its time in `dispatch serve`
	StateRunning     State = "running"     // a live process sends it now
	StateInterrupted State = "interrupted" // owes deliveries, no one sends it: send again or resume
	StatePaused      State = "paused"
	StateFinished    State = "finished"
	StateCancelled   State = "cancelled"
)

// State says where the campaign stands.
func (r *Report) State() State {
	switch {
	case !r.Control.CancelledAt.IsZero():
		return StateCancelled
	case r.Control.Hold == subscribers.HoldSchedule:
		return StateScheduled
	case r.Runner != nil:
		return StateRunning
	case r.Campaign.Status == subscribers.CampaignPaused:
		return StatePaused
	case r.Campaign.Status == subscribers.CampaignFinished:
		return StateFinished
	}
	return StateInterrupted
}

// Report returns a campaign with its counts, or subscribers.ErrNotFound.
func (s *Service) Report(ctx context.Context, id int64) (*Report, error) {
	c, err := s.store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := s.store.FindCampaignStats(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	ctl, err := s.store.FindCampaignControl(ctx, id)
	if err != nil {
		return nil, err
	}
	runner, err := s.liveLease(ctx, subscribers.CampaignLease(id))
	if err != nil {
		return nil, err
	}
	return &Report{Campaign: c, Stats: st, Control: ctl, Runner: runner}, nil
}

package campaign

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ErrFinished is returned when pausing, resuming or cancelling a campaign
// that has finished or was cancelled.
var ErrFinished = errors.New("campaign: finished")

// Control is what a pause, resume or cancel did.
type Control struct {
	CampaignID int64
	// Asked is the process running the campaign, when the request was
	// passed to it (it acts at its next heartbeat); nil when the campaign
	// was changed directly.
	Asked *subscribers.Lease
	// Runner is the live campaign runner of `dispatch serve` that sends a
	// resumed campaign; nil when none runs.
	Runner *subscribers.Lease
	// Already reports that the campaign already was as asked.
	Already bool
	// Skipped counts the deliveries a cancel skipped.
	Skipped int
}

// Pause pauses a campaign until an explicit Resume. A campaign running in
// another process is asked to pause. A scheduled campaign cannot be
// paused: cancel it.
func (s *Service) Pause(ctx context.Context, id int64) (*Control, error) {
	r, err := s.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &Control{CampaignID: id, Asked: r.Runner}
	switch r.State() {
	case StateFinished, StateCancelled:
		return nil, fmt.Errorf("campaign %d: %w", id, ErrFinished)
	case StateScheduled:
		return nil, &ScheduledError{CampaignID: id, At: r.Control.ScheduledAt, Zone: r.Control.ScheduleZone}
	case StatePaused:
		if r.Control.Hold != subscribers.HoldNone {
			out.Already = true
			return out, nil
		}
	}
	if r.Runner != nil {
		return out, s.store.SetCampaignRequest(ctx, id, subscribers.RequestPause)
	}
	return out, s.store.HoldCampaign(ctx, id, subscribers.HoldOperator, "paused by an operator (`dispatch campaigns pause` or the console)")
}

// Resume lets a paused or interrupted campaign be sent again, and hands it
// to the runner of `dispatch serve` (Control.Runner says whether one
// runs). Running `dispatch send` again also sends it once resumed.
func (s *Service) Resume(ctx context.Context, id int64) (*Control, error) {
	r, err := s.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	switch r.State() {
	case StateFinished, StateCancelled:
		return nil, fmt.Errorf("campaign %d: %w", id, ErrFinished)
	case StateScheduled:
		return nil, &ScheduledError{CampaignID: id, At: r.Control.ScheduledAt, Zone: r.Control.ScheduleZone}
	case StateRunning:
		return &Control{CampaignID: id, Already: true, Asked: r.Runner}, nil
	}
	if err := s.store.ResumeCampaign(ctx, id, true); err != nil {
		return nil, err
	}
	runner, err := s.liveLease(ctx, subscribers.RunnerLease)
	if err != nil {
		return nil, err
	}
	return &Control{CampaignID: id, Runner: runner}, nil
}

// Cancel ends a campaign for good: what it still owes is skipped, and a
// scheduled campaign never starts (it has no deliveries). A campaign
// running in another process is asked to cancel.
func (s *Service) Cancel(ctx context.Context, id int64) (*Control, error) {
	r, err := s.Report(ctx, id)
	if err != nil {
		return nil, err
	}
	switch r.State() {
	case StateCancelled:
		return &Control{CampaignID: id, Already: true}, nil
	case StateFinished:
		return nil, fmt.Errorf("campaign %d: %w", id, ErrFinished)
	}
	if r.Runner != nil {
		return &Control{CampaignID: id, Asked: r.Runner}, s.store.SetCampaignRequest(ctx, id, subscribers.RequestCancel)
	}
	n, err := s.store.CancelCampaign(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Control{CampaignID: id, Skipped: n}, nil
}

// LiveRunner returns the lease of the live campaign runner of `dispatch
// serve`, or nil when none runs.
func (s *Service) LiveRunner(ctx context.Context) (*subscribers.Lease, error) {
	return s.liveLease(ctx, subscribers.RunnerLease)
}

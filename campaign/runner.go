package campaign

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// ErrNotDue is returned by StartCampaign for a scheduled campaign whose
// time has not come.
var ErrNotDue = errors.New("campaign: not due yet")

// StartCampaign starts a run of an existing campaign by its id: a
// scheduled one whose time has come (its deliveries are written now, for
// the list's active members now), or one still sending. It restores the
// campaign's snapshot and takes its lease. It returns ErrFinished,
// ErrNotDue, a *HeldError or a *RunningError when it must not run.
func (s *Service) StartCampaign(ctx context.Context, id int64) (*Run, error) {
	c, err := s.store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ctl, err := s.store.FindCampaignControl(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case !ctl.CancelledAt.IsZero() || c.Status == subscribers.CampaignFinished:
		return nil, fmt.Errorf("campaign %d: %w", id, ErrFinished)
	case ctl.Hold == subscribers.HoldSchedule && ctl.ScheduledAt.After(s.cfg.Now()):
		return nil, fmt.Errorf("campaign %d: %w", id, ErrNotDue)
	case ctl.Hold != subscribers.HoldNone && ctl.Hold != subscribers.HoldSchedule:
		return nil, &HeldError{CampaignID: id, Hold: ctl.Hold, Reason: c.PauseReason}
	}
	issue, _, err := restore(c)
	if err != nil {
		return nil, err
	}
	list, err := s.store.FindListByID(ctx, c.ListID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	r := &Run{svc: s, Campaign: c, list: list}
	if r.issue, r.clickTokens, err = s.trackIssue(ctx, id, issue, nil); err != nil {
		return nil, err
	}
	if err := s.acquire(ctx, id); err != nil {
		return nil, err
	}
	if ctl.Hold == subscribers.HoldSchedule {
		// Under the lease, so that two runners cannot both start it.
		if _, err := s.store.EnqueueScheduled(ctx, id); err != nil {
			s.release(ctx, id)
			return nil, err
		}
		r.Created = true
	}
	if err := s.begin(ctx, r); err != nil {
		return nil, err
	}
	st, err := s.store.FindCampaignStats(ctx, id)
	if err != nil {
		s.release(ctx, id)
		return nil, fmt.Errorf("campaign %d: %w", id, err)
	}
	r.Owed = owed(st)
	return r, nil
}

// Schedule creates the plan's campaign to be started at a time by the
// runner of `dispatch serve` (a time already past starts it at the
// runner's next look: how the console sends in the background). Its
// recipients are the list's active members when it starts. It refuses a
// plan that resumes an existing campaign.
func (s *Service) Schedule(ctx context.Context, p *Plan, at time.Time, zone string) (*subscribers.Campaign, error) {
	if p.Campaign != nil {
		return nil, fmt.Errorf("%s already has campaign %d to %s: %w", p.Issue.ID, p.Campaign.ID, p.List.Name, ErrExists)
	}
	nc, err := newCampaign(p)
	if err != nil {
		return nil, err
	}
	c, err := s.store.ScheduleCampaign(ctx, nc, at, zone)
	if err != nil {
		return nil, err
	}
	// Fixed now, as for a campaign sent at once; the runner reads it back.
	if _, _, err := s.trackIssue(ctx, c.ID, p.Issue, &p.Tracking); err != nil {
		return nil, fmt.Errorf("campaign %d: %w", c.ID, err)
	}
	return c, nil
}

// ErrExists is returned when scheduling an issue that already has a
// campaign to the list; a Draft with New schedules a new one.
var ErrExists = errors.New("campaign: exists")

// RunnerConfig tunes a Runner.
type RunnerConfig struct {
	// Poll is how often the runner looks for campaigns to run. Default 1s.
	Poll time.Duration
}

// Runner runs background campaigns one at a time, in `dispatch serve`:
// scheduled ones when their time comes, ones started from the console,
// and, after a restart or a crash, the ones that were running. Only one
// runner at a time works on a database (it holds the "runner" lease).
type Runner struct {
	svc  *Service
	poll time.Duration
	// retry holds campaigns whose last run failed until a later time, so
	// that a relay down or a broken issue is not retried every poll.
	retry map[int64]time.Time
	// told is the holder last logged for each campaign another process
	// runs, so that it is said once, not every poll.
	told map[int64]string
}

// retryAfter is how long a campaign whose run failed is left alone.
const retryAfter = 30 * time.Second

// NewRunner returns a Runner over svc.
func NewRunner(svc *Service, cfg RunnerConfig) *Runner {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	return &Runner{svc: svc, poll: cfg.Poll, retry: map[int64]time.Time{}, told: map[int64]string{}}
}

// Run runs campaigns until ctx is cancelled, and returns ctx's error. A
// campaign interrupted by the cancellation stays owed: the next runner
// resumes it.
func (r *Runner) Run(ctx context.Context) error {
	s := r.svc
	log := s.cfg.Logger
	held := false
	for {
		err := r.holdRunnerLease(ctx)
		var other *subscribers.LeaseHeldError
		switch {
		case errors.As(err, &other):
			if !held {
				log.Warn("another campaign runner works on this database; this one waits", "runner", other.Error())
				held = true
			}
		case err != nil:
			log.Warn("campaign runner lease", "err", err)
		default:
			held = false
			if err := r.runDue(ctx); err != nil && ctx.Err() == nil {
				log.Warn("campaign runner", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			_ = s.store.ReleaseLease(context.WithoutCancel(ctx), subscribers.RunnerLease, s.cfg.Owner)
			return ctx.Err()
		case <-time.After(r.poll):
		}
	}
}

// holdRunnerLease takes or renews the runner's lease.
func (r *Runner) holdRunnerLease(ctx context.Context) error {
	s := r.svc
	err := s.store.RenewLease(ctx, subscribers.RunnerLease, s.cfg.Owner, "")
	if err == nil {
		return nil
	}
	_, err = s.store.AcquireLease(ctx, subscribers.RunnerLease, s.cfg.Owner, s.stale)
	return err
}

// runDue runs each campaign that is due, one after the other, renewing the
// runner's lease meanwhile.
func (r *Runner) runDue(ctx context.Context) error {
	s := r.svc
	ids, err := s.store.FindRunnable(ctx, s.cfg.Now())
	if err != nil || len(ids) == 0 {
		return err
	}
	beatCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		t := time.NewTicker(s.cfg.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-beatCtx.Done():
				return
			case <-t.C:
				if err := s.store.RenewLease(beatCtx, subscribers.RunnerLease, s.cfg.Owner, ""); err != nil && beatCtx.Err() == nil {
					s.cfg.Logger.Warn("renew the campaign runner's lease", "err", err)
				}
			}
		}
	}()
	for _, id := range ids {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.cfg.Now().Before(r.retry[id]) {
			continue
		}
		if !r.runOne(ctx, id) {
			r.retry[id] = s.cfg.Now().Add(retryAfter)
		}
	}
	return nil
}

// runOne runs one campaign and logs how it went. It reports false when
// the run failed and should not be tried again at once.
func (r *Runner) runOne(ctx context.Context, id int64) bool {
	s := r.svc
	log := s.cfg.Logger.With("campaign", id)
	run, err := s.StartCampaign(ctx, id)
	var running *RunningError
	switch {
	case errors.As(err, &running):
		if msg := running.Error(); r.told[id] != msg {
			r.told[id] = msg
			log.Info(msg + "; the runner leaves it to that process (follow it with `dispatch campaigns watch`)")
		}
		return true
	case errors.Is(err, ErrNotDue), errors.Is(err, ErrFinished):
		return true
	case err != nil:
		log.Warn("cannot start campaign", "err", err)
		return false
	}
	log.Info("sending campaign", "slug", run.Campaign.Slug, "owed", run.Owed, "recovered", run.Recovered)
	out, err := run.Send(ctx, nil)
	switch {
	case out == nil:
		log.Warn("campaign run failed", "err", err)
		return false
	case errors.Is(err, context.Canceled):
		log.Info("campaign interrupted; it resumes when the runner starts again", "sent", out.Stats.Sent)
	case err != nil:
		log.Warn("campaign run failed", "err", err, "sent", out.Stats.Sent)
		return false
	default:
		log.Info("campaign run ended", "status", out.Campaign.Status, "pause_reason", out.Campaign.PauseReason,
			"sent", out.Stats.Sent, "failed", out.Stats.Failed, "possible_duplicates", out.Stats.PossibleDuplicates)
	}
	return true
}

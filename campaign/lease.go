package campaign

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// RunningError is returned when a campaign is being run by another live
// process: `dispatch send` and `dispatch serve` never run one together.
type RunningError struct {
	CampaignID int64
	Lease      subscribers.Lease
}

func (e *RunningError) Error() string {
	o := e.Lease.Owner
	return fmt.Sprintf("campaign %d is running in `dispatch %s` (pid %d on %s) since %s", e.CampaignID, o.Process, o.PID,
		o.Host, e.Lease.AcquiredAt.Local().Format(time.DateTime))
}

// stale reports whether a lease's holder can no longer be running: its
// heartbeat is older than StaleAfter, or it was a process on this machine
// that is gone (a process with the same pid but another start time is
// another process).
func (s *Service) stale(l subscribers.Lease) bool {
	own := s.cfg.Owner
	if l.Owner.Same(own) {
		return false
	}
	if l.Owner.Host == own.Host && (l.Owner.PID == own.PID || !processAlive(l.Owner.PID)) {
		return true
	}
	return s.cfg.Now().Sub(l.HeartbeatAt) > s.cfg.StaleAfter
}

// liveLease returns the lease of that name if a live process holds it,
// else nil. This process counts: in `dispatch serve` the console and the
// campaign runner are one process, and a campaign the runner sends is
// running, not interrupted, and is paused through its heartbeat, not
// under its feet. A lease of this process is live while its heartbeat
// goes on; one left behind goes stale as another process's would.
func (s *Service) liveLease(ctx context.Context, name string) (*subscribers.Lease, error) {
	l, err := s.store.FindLease(ctx, name)
	if errors.Is(err, subscribers.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if l.Owner.Same(s.cfg.Owner) {
		if s.cfg.Now().Sub(l.HeartbeatAt) > s.cfg.StaleAfter {
			return nil, nil
		}
		return l, nil
	}
	if s.stale(*l) {
		return nil, nil
	}
	return l, nil
}

// acquire takes a campaign's lease, or returns a *RunningError.
func (s *Service) acquire(ctx context.Context, id int64) error {
	_, err := s.store.AcquireLease(ctx, subscribers.CampaignLease(id), s.cfg.Owner, s.stale)
	var held *subscribers.LeaseHeldError
	if errors.As(err, &held) {
		return &RunningError{CampaignID: id, Lease: held.Lease}
	}
	if err != nil {
		return fmt.Errorf("campaign %d: %w", id, err)
	}
	return nil
}

// stopCause is why a run was stopped from outside the mailer: an
// operator's request, or a guardrail crossed by bounces or complaints that
// arrived meanwhile.
type stopCause struct {
	request subscribers.CampaignRequest
	hold    subscribers.CampaignHold // for a pause
	reason  string
}

func (c *stopCause) Error() string { return c.reason }

// heartbeat renews a running campaign's lease every Heartbeat, with what
// the run waits for, and passes on an operator's pause or cancel request
// by cancelling the run with a *stopCause. It returns when ctx is done.
func (r *Run) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, note *noteBox, g *guard) {
	s := r.svc
	name := subscribers.CampaignLease(r.Campaign.ID)
	t := time.NewTicker(s.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.store.RenewLease(ctx, name, s.cfg.Owner, note.get())
		if errors.Is(err, subscribers.ErrLeaseLost) {
			cancel(fmt.Errorf("campaign %d: %w", r.Campaign.ID, err))
			return
		}
		if err != nil {
			s.cfg.Logger.Warn("renew campaign lease", "campaign", r.Campaign.ID, "err", err)
			continue
		}
		if stop := r.look(ctx, g); stop != nil {
			cancel(stop)
			return
		}
	}
}

// look reads what an operator asked of the campaign and what the store
// counts of its bounces and complaints, and says whether to stop.
func (r *Run) look(ctx context.Context, g *guard) *stopCause {
	s, id := r.svc, r.Campaign.ID
	ctl, err := s.store.FindCampaignControl(ctx, id)
	if err != nil {
		s.cfg.Logger.Warn("read campaign requests", "campaign", id, "err", err)
		return nil
	}
	switch ctl.Request {
	case subscribers.RequestPause:
		return &stopCause{request: ctl.Request, hold: subscribers.HoldOperator, reason: "paused by an operator (`dispatch campaigns pause` or the console)"}
	case subscribers.RequestCancel:
		return &stopCause{request: ctl.Request, reason: "cancelled by an operator (`dispatch campaigns cancel` or the console)"}
	}
	b, err := s.store.CampaignBounces(ctx, id)
	if err != nil {
		s.cfg.Logger.Warn("count campaign bounces", "campaign", id, "err", err)
		return nil
	}
	if reason := g.observe(b); reason != "" {
		return &stopCause{request: subscribers.RequestPause, hold: subscribers.HoldGuardrail, reason: reason}
	}
	return nil
}

// noteBox holds the latest "waiting for" of a run, for the heartbeat.
type noteBox struct {
	mu sync.Mutex
	s  string
}

func (n *noteBox) set(s string) {
	n.mu.Lock()
	n.s = s
	n.mu.Unlock()
}

func (n *noteBox) get() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.s
}

package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// ErrNoRecipients is returned by Prepare for a new campaign to a list
// with no active subscriber.
var ErrNoRecipients = errors.New("campaign: no active subscribers")

// Draft is a send someone asks for: a compiled issue to a list.
type Draft struct {
	Issue *templates.Compiled
	// Path is the issue's file, recorded with a new campaign.
	Path string
	List *subscribers.List
	// New starts a fresh campaign even if the issue was sent to the list
	// before; otherwise the newest campaign of the issue to the list is
	// resumed.
	New bool
}

// Plan is what a send would do, worked out without changing anything.
type Plan struct {
	List *subscribers.List
	Path string
	// Campaign is the campaign to resume; nil when a new one is created.
	Campaign *subscribers.Campaign
	// Issue is what is sent: the draft's issue, or for a resumed campaign
	// the snapshot it started with, so everyone gets the same message.
	Issue *templates.Compiled
	// Changed reports that the draft's issue differs from the snapshot of
	// the campaign being resumed.
	Changed bool
	// Owed is how many recipients are still to be sent to: for a new
	// campaign, the list's active members now.
	Owed int
	// Finished reports that the campaign has nothing left to send; Stats
	// are then its counts. Cancelled says it was cancelled.
	Finished  bool
	Cancelled bool
	Stats     subscribers.CampaignStats
	// Tracking is how a new campaign will be tracked; a resumed one keeps
	// what it started with.
	Tracking subscribers.CampaignTracking
}

// ScheduledError is returned for a draft whose campaign is scheduled and
// has not started.
type ScheduledError struct {
	CampaignID int64
	At         time.Time
	Zone       string
}

func (e *ScheduledError) Error() string {
	return fmt.Sprintf("campaign %d is scheduled for %s", e.CampaignID, FormatAt(e.At, e.Zone))
}

// HeldError is returned for a draft whose campaign was paused by an
// operator or a guardrail: only an explicit resume sends it again.
type HeldError struct {
	CampaignID int64
	Hold       subscribers.CampaignHold
	Reason     string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("campaign %d is paused: %s", e.CampaignID, e.Reason)
}

// FormatAt shows a scheduled time in the zone it was given in.
func FormatAt(at time.Time, zone string) string {
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		return at.In(loc).Format("2006-01-02 15:04 MST") + " (" + zone + ")"
	}
	return at.Local().Format("2006-01-02 15:04 MST")
}

// Prepare finds the campaign a draft resumes (unless it asks for a new
// one), restores that campaign's snapshot, compares it with the draft and
// counts what is owed. It writes nothing. It returns ErrNoRecipients for
// a new campaign to a list with no active subscriber.
func (s *Service) Prepare(ctx context.Context, d Draft) (*Plan, error) {
	p := &Plan{List: d.List, Path: d.Path, Issue: d.Issue}
	if !d.New {
		c, err := s.store.FindLatestCampaign(ctx, d.Issue.ID, d.List.ID)
		if err != nil && !errors.Is(err, subscribers.ErrNotFound) {
			return nil, fmt.Errorf("find the campaign of %s to %s: %w", d.Issue.ID, d.List.Name, err)
		}
		p.Campaign = c
	}
	if p.Campaign == nil {
		ct, err := s.decideTracking(ctx, d.Issue, d.List)
		if err != nil {
			return nil, err
		}
		p.Tracking = ct
		n, err := s.store.CountActiveMembers(ctx, d.List.ID)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, fmt.Errorf("list %q: %w", d.List.Name, ErrNoRecipients)
		}
		p.Owed = n
		return p, nil
	}
	if err := s.checkResumable(ctx, p); err != nil {
		return nil, err
	}
	restored, digest, err := restore(p.Campaign)
	if err != nil {
		return nil, err
	}
	p.Changed = d.Issue.Snapshot().Digest != digest
	p.Issue = restored
	st, err := s.store.FindCampaignStats(ctx, p.Campaign.ID)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: %w", p.Campaign.ID, err)
	}
	p.Stats, p.Owed, p.Finished = st, owed(st), st.Done()
	return p, nil
}

// checkResumable refuses a campaign that is scheduled, held for an
// explicit resume, or running in another process, and notes a cancelled
// one.
func (s *Service) checkResumable(ctx context.Context, p *Plan) error {
	id := p.Campaign.ID
	ctl, err := s.store.FindCampaignControl(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case !ctl.CancelledAt.IsZero():
		p.Cancelled = true
		return nil
	case ctl.Hold == subscribers.HoldSchedule:
		return &ScheduledError{CampaignID: id, At: ctl.ScheduledAt, Zone: ctl.ScheduleZone}
	case ctl.Hold != subscribers.HoldNone:
		return &HeldError{CampaignID: id, Hold: ctl.Hold, Reason: p.Campaign.PauseReason}
	}
	l, err := s.liveLease(ctx, subscribers.CampaignLease(id))
	if err != nil {
		return err
	}
	if l != nil {
		return &RunningError{CampaignID: id, Lease: *l}
	}
	return nil
}

// restore compiles the snapshot a campaign was created with, and returns
// the snapshot's digest.
func restore(c *subscribers.Campaign) (*templates.Compiled, string, error) {
	var snap templates.Snapshot
	if err := json.Unmarshal(c.Snapshot, &snap); err != nil {
		return nil, "", fmt.Errorf("campaign %d: read its snapshot: %w", c.ID, err)
	}
	restored, err := templates.Restore(snap)
	if err != nil {
		return nil, "", fmt.Errorf("campaign %d: %w", c.ID, err)
	}
	return restored, snap.Digest, nil
}

// owed counts the deliveries a run would still try.
func owed(st subscribers.CampaignStats) int { return st.Queued + st.Sending + st.Deferred }

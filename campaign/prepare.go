package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
	// are then its counts.
	Finished bool
	Stats    subscribers.CampaignStats
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

package campaign

import (
	"context"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// Tracking is how campaigns track engagement unless a list or an issue
// says otherwise (the tracking section of the configuration).
type Tracking struct {
	Clicks subscribers.ClickTracking // "" means off
	Opens  subscribers.OpenTracking  // "" means off
	// BaseURL and Tokens build the tracked links (web.base_url,
	// web.secret); with no Tokens nothing is tracked.
	BaseURL string
	Tokens  *subscribers.Tokens
}

// TrackingStore keeps lists' and campaigns' tracking and the links.
type TrackingStore interface {
	FindListTracking(ctx context.Context, listID int64) (subscribers.ListTracking, error)
	FindCampaignTracking(ctx context.Context, id int64) (subscribers.CampaignTracking, error)
	SetCampaignTracking(ctx context.Context, ct subscribers.CampaignTracking, links []subscribers.TrackedLink) error
}

// decideTracking works out how a new campaign of an issue to a list is
// tracked: the issue's track_clicks, else the list's setting, else the
// configuration. Individual click tracking needs a list whose lawful basis
// permits it (subscribers.LawfulBasis.PermitsIndividual).
func (s *Service) decideTracking(ctx context.Context, issue *templates.Compiled, list *subscribers.List) (subscribers.CampaignTracking, error) {
	ct := subscribers.CampaignTracking{Clicks: subscribers.TrackOff, Opens: subscribers.OpensOff}
	if s.cfg.Tracking.Tokens == nil {
		return ct, nil
	}
	lt, err := s.store.FindListTracking(ctx, list.ID)
	if err != nil {
		return ct, err
	}
	for _, c := range []subscribers.ClickTracking{subscribers.ClickTracking(issue.TrackClicks), lt.Clicks, s.cfg.Tracking.Clicks} {
		if c != "" {
			ct.Clicks = c
			break
		}
	}
	for _, o := range []subscribers.OpenTracking{lt.Opens, s.cfg.Tracking.Opens} {
		if o != "" {
			ct.Opens = o
			break
		}
	}
	if ct.Clicks == subscribers.TrackIndividual && !lt.Basis.PermitsIndividual() {
		basis := string(lt.Basis)
		if basis == "" {
			basis = "none recorded"
		}
		return ct, fmt.Errorf("list %q (basis: %s): %w", list.Name, basis, subscribers.ErrTrackingBasis)
	}
	return ct, nil
}

// trackIssue returns the issue a campaign sends: with its links rewritten
// and registered when the campaign tracks clicks, and the pixel when it
// tracks opens. set is the tracking of a campaign being created; nil reads
// the campaign's own (a resumed or scheduled one). The rewriting is the
// same each time, so a resumed campaign sends the links it registered.
func (s *Service) trackIssue(ctx context.Context, id int64, issue *templates.Compiled, set *subscribers.CampaignTracking) (*templates.Compiled, bool, error) {
	var ct subscribers.CampaignTracking
	if set != nil {
		ct = *set
		ct.CampaignID = id
	} else {
		var err error
		if ct, err = s.store.FindCampaignTracking(ctx, id); err != nil {
			return nil, false, err
		}
	}
	tok := s.cfg.Tracking.Tokens
	if ct.Off() || tok == nil {
		return issue, false, nil
	}
	lt := templates.LinkTracking{
		URL:          func(n int) string { return tok.LinkURL(s.cfg.Tracking.BaseURL, id, n) },
		PerRecipient: ct.Clicks == subscribers.TrackIndividual,
	}
	if ct.Opens == subscribers.OpensAggregate {
		lt.PixelURL = tok.OpenURL(s.cfg.Tracking.BaseURL, id)
	}
	var links []subscribers.TrackedLink
	tracked := issue
	if ct.Clicks != subscribers.TrackOff || lt.PixelURL != "" {
		if ct.Clicks == subscribers.TrackOff {
			lt.URL = nil
		}
		t, found, err := issue.TrackLinks(lt)
		if err != nil {
			return nil, false, fmt.Errorf("campaign %d: %w", id, err)
		}
		tracked = t
		for _, l := range found {
			links = append(links, subscribers.TrackedLink{N: l.N, URL: l.URL, Section: l.Section})
		}
	}
	if err := s.store.SetCampaignTracking(ctx, ct, links); err != nil {
		return nil, false, err
	}
	return tracked, lt.PerRecipient, nil
}

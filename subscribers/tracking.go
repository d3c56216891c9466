package subscribers

import (
	"fmt"
	"time"
)

// ClickTracking is how a campaign's links are tracked (tracking.clicks).
type ClickTracking string

const (
	// TrackOff leaves links as they are.
	TrackOff ClickTracking = "off"
	// TrackAggregate rewrites links to one URL per link, the same for every
	// recipient: clicks are counted, and nothing ties one to a person.
	TrackAggregate ClickTracking = "aggregate"
	// TrackIndividual puts the delivery's token in each link, so a click
	// is tied to the recipient. It needs a list whose basis is consent.
	TrackIndividual ClickTracking = "individual"
)

// ParseClickTracking reads off, aggregate or individual.
func ParseClickTracking(s string) (ClickTracking, error) {
	switch m := ClickTracking(s); m {
	case TrackOff, TrackAggregate, TrackIndividual:
		return m, nil
	}
	return "", fmt.Errorf("click tracking %q: want off, aggregate or individual: %w", s, ErrInvalid)
}

// OpenTracking is whether a campaign carries the open pixel (tracking.opens).
type OpenTracking string

const (
	OpensOff       OpenTracking = "off"
	OpensAggregate OpenTracking = "aggregate"
)

// ParseOpenTracking reads off or aggregate; opens are never individual.
func ParseOpenTracking(s string) (OpenTracking, error) {
	switch m := OpenTracking(s); m {
	case OpensOff, OpensAggregate:
		return m, nil
	}
	return "", fmt.Errorf("open tracking %q: want off or aggregate: %w", s, ErrInvalid)
}

// LawfulBasis is the legal ground a list records for tracking its readers.
type LawfulBasis string

const (
	BasisNone               LawfulBasis = ""
	BasisConsent            LawfulBasis = "consent"
	BasisContract           LawfulBasis = "contract"
	BasisLegitimateInterest LawfulBasis = "legitimate-interest"
)

// ParseLawfulBasis reads consent, contract, legitimate-interest or "".
func ParseLawfulBasis(s string) (LawfulBasis, error) {
	switch b := LawfulBasis(s); b {
	case BasisNone, BasisConsent, BasisContract, BasisLegitimateInterest:
		return b, nil
	}
	return "", fmt.Errorf("lawful basis %q: want consent, contract or legitimate-interest: %w", s, ErrInvalid)
}

// ErrTrackingBasis is returned when individual tracking is asked of a list
// whose recorded basis does not permit it.
var ErrTrackingBasis = fmt.Errorf("individual click tracking needs the list's lawful basis to be consent: %w", ErrInvalid)

// PermitsIndividual is the rule for individual tracking: only consent.
// Tracking who clicked what is a tracker under the ePrivacy rules (CNIL,
// 2026), and those need prior consent; neither a contract nor a
// legitimate interest stands in for it.
func (b LawfulBasis) PermitsIndividual() bool { return b == BasisConsent }

// ListTracking is a list's own tracking setting; empty fields defer to the
// configuration.
type ListTracking struct {
	ListID int64
	Clicks ClickTracking // "" = tracking.clicks
	Opens  OpenTracking  // "" = tracking.opens
	Basis  LawfulBasis
}

// CampaignTracking is how a campaign was tracked, fixed at its creation.
type CampaignTracking struct {
	CampaignID int64
	Clicks     ClickTracking
	Opens      OpenTracking
}

// Off reports whether the campaign tracks nothing.
func (t CampaignTracking) Off() bool {
	return (t.Clicks == "" || t.Clicks == TrackOff) && (t.Opens == "" || t.Opens == OpensOff)
}

// TrackedLink is one content link of a campaign.
type TrackedLink struct {
	N       int
	URL     string
	Section string // the headline the link appears under; "" before any
}

// ClickDelta is a change to the counts of one link in one hour, as the
// redirect flushes them. Human may be negative: a burst found late moves
// clicks already counted as human to machine.
type ClickDelta struct {
	CampaignID   int64
	N            int
	Hour         time.Time // truncated to the hour, UTC
	Human        int
	Machine      int
	UniqueHumans int
}

// IndividualClick is one click in individual mode.
type IndividualClick struct {
	CampaignID int64
	N          int
	DeliveryID int64
	At         time.Time
	Machine    bool
	// Reclassify marks a click recorded earlier (same campaign, link,
	// delivery and time) as Machine says, instead of recording a new one:
	// a burst can show clicks already written to be a scanner's.
	Reclassify bool
}

// LinkClicks is one link's counts in a report.
type LinkClicks struct {
	TrackedLink
	Human        int
	Machine      int
	UniqueHumans int // summed over days: a reader counts once a day
}

// ClickHour is the human and machine clicks of one hour of a campaign.
type ClickHour struct {
	Hour    time.Time
	Human   int
	Machine int
}

// OpenHour is the pixel's opens in one hour of a campaign.
type OpenHour struct {
	Hour  time.Time
	Opens int
}

// OpenDelta is opens to add to one hour of a campaign.
type OpenDelta struct {
	CampaignID int64
	Hour       time.Time
	Opens      int
}

package subscribers

import "time"

// CampaignReport is what a campaign's report shows beside its counts
// (CampaignStats): when it was delivered, how it went over time, why
// messages failed and how each recipient domain took it. New sections
// are new fields; readers ignore what they do not show.
type CampaignReport struct {
	// Minutes counts deliveries settled per minute while the campaign
	// sent, oldest first, one entry per minute with any.
	Minutes []MinuteCount
	// Hours counts bounces, complaints and unsubscribes attributed to the
	// campaign per hour, oldest first, one entry per hour with any.
	Hours []HourCount
	// Failures groups failed deliveries by reply, most frequent first.
	Failures []FailureCount
	// Domains are the recipient domains with the most deliveries, most
	// first (at most the limit asked for).
	Domains []DomainCount
}

// MinuteCount is one minute of a campaign's sending (UTC).
type MinuteCount struct {
	At                     time.Time
	Sent, Deferred, Failed int
}

// HourCount is one hour of what came back after a campaign (UTC).
type HourCount struct {
	At                                   time.Time
	HardBounces, SoftBounces, Complaints int
	Unsubscribed                         int
}

// FailureCount is how many deliveries failed with one reply.
type FailureCount struct {
	Code   int    // the SMTP reply code; 0 when there was no reply
	Reason string // the reply's text, with recipient addresses taken out
	N      int
}

// DomainCount is how one recipient domain took a campaign: deliveries sent
// and failed, deferrals so far, and hard and soft bounces.
type DomainCount struct {
	Domain                          string
	Sent, Deferred, Failed, Bounced int
}

// GrowthWeek is one week of a list's growth: subscribers added,
// unsubscribed and bounced (or complained) in the week starting At
// (a Monday, UTC).
type GrowthWeek struct {
	At                           time.Time
	Added, Unsubscribed, Bounced int
}

package main

import (
	"context"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// reportTopDomains is how many recipient domains `campaigns show` lists.
const reportTopDomains = 10

// campaignShowJSON is `campaigns show ID --json`: the campaign as
// `campaigns --json` lists it, and its report. New sections are new keys.
type campaignShowJSON struct {
	campaignJSON
	FirstDeliveryAt *time.Time    `json:"first_delivery_at"`
	LastDeliveryAt  *time.Time    `json:"last_delivery_at"`
	Timeline        timelineJSON  `json:"timeline"`
	Failures        []failureJSON `json:"failures"`
	Domains         []domainJSON  `json:"domains"`
}

type timelineJSON struct {
	// Minutes are deliveries per minute while sending (UTC).
	Minutes []minuteJSON `json:"deliveries_per_minute"`
	// Hours are bounces, complaints and unsubscribes per hour after.
	Hours []hourJSON `json:"returns_per_hour"`
}

type minuteJSON struct {
	At       time.Time `json:"at"`
	Sent     int       `json:"sent"`
	Deferred int       `json:"deferred"`
	Failed   int       `json:"failed"`
}

type hourJSON struct {
	At           time.Time `json:"at"`
	HardBounces  int       `json:"hard_bounces"`
	SoftBounces  int       `json:"soft_bounces"`
	Complaints   int       `json:"complaints"`
	Unsubscribed int       `json:"unsubscribed"`
}

type failureJSON struct {
	Code   int    `json:"code"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

type domainJSON struct {
	Domain   string `json:"domain"`
	Sent     int    `json:"sent"`
	Deferred int    `json:"deferred"` // deferrals so far
	Failed   int    `json:"failed"`
	Bounced  int    `json:"bounced"`
}

// loadCampaignShow reads the campaign and its report, as `campaigns show` prints
// them; rep is the report the CSV is written from.
func loadCampaignShow(ctx context.Context, s *sqlite.Store, c *subscribers.Campaign, ctl subscribers.CampaignControl) (campaignShowJSON, subscribers.CampaignStats, subscribers.CampaignReport, error) {
	var out campaignShowJSON
	j, err := campaignReport(ctx, s, c, ctl)
	if err != nil {
		return out, subscribers.CampaignStats{}, subscribers.CampaignReport{}, err
	}
	st, err := s.FindCampaignStats(ctx, c.ID)
	if err != nil {
		return out, st, subscribers.CampaignReport{}, err
	}
	rep, err := s.FindCampaignReport(ctx, c.ID, reportTopDomains)
	if err != nil {
		return out, st, rep, err
	}
	out = campaignShowJSON{campaignJSON: j, FirstDeliveryAt: timePtr(st.FirstSentAt), LastDeliveryAt: timePtr(st.LastSentAt),
		Timeline: timelineJSON{Minutes: []minuteJSON{}, Hours: []hourJSON{}}, Failures: []failureJSON{}, Domains: []domainJSON{}}
	for _, m := range rep.Minutes {
		out.Timeline.Minutes = append(out.Timeline.Minutes, minuteJSON{At: m.At, Sent: m.Sent, Deferred: m.Deferred, Failed: m.Failed})
	}
	for _, h := range rep.Hours {
		out.Timeline.Hours = append(out.Timeline.Hours, hourJSON{At: h.At, HardBounces: h.HardBounces, SoftBounces: h.SoftBounces,
			Complaints: h.Complaints, Unsubscribed: h.Unsubscribed})
	}
	for _, f := range rep.Failures {
		out.Failures = append(out.Failures, failureJSON{Code: f.Code, Reason: f.Reason, Count: f.N})
	}
	for _, d := range rep.Domains {
		out.Domains = append(out.Domains, domainJSON{Domain: d.Domain, Sent: d.Sent, Deferred: d.Deferred, Failed: d.Failed, Bounced: d.Bounced})
	}
	return out, st, rep, nil
}

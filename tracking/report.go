package tracking

import (
	"context"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// OpensNote is the label every report of the open pixel carries.
const OpensNote = "includes machine opens (Apple Mail Privacy Protection)"

// Report is a campaign's engagement: clicks per story, human and machine,
// over time, and the pixel's opens.
type Report struct {
	Mode         subscribers.ClickTracking `json:"mode"`
	Human        int                       `json:"human"`
	Machine      int                       `json:"machine"`
	UniqueHumans int                       `json:"unique_humans"`
	Stories      []Story                   `json:"stories"`
	// OverTime is the human and machine clicks of each hour with clicks,
	// counted from the campaign's start.
	OverTime []HourClicks `json:"over_time"`
	Opens    *Opens       `json:"opens,omitempty"`
}

// Story is the links under one headline, in the order they first appear.
type Story struct {
	Section      string     `json:"section"`
	Human        int        `json:"human"`
	Machine      int        `json:"machine"`
	UniqueHumans int        `json:"unique_humans"`
	Links        []LinkLine `json:"links"`
}

// LinkLine is one link's counts.
type LinkLine struct {
	N            int    `json:"n"`
	URL          string `json:"url"`
	Human        int    `json:"human"`
	Machine      int    `json:"machine"`
	UniqueHumans int    `json:"unique_humans"`
}

// HourClicks is one hour of clicks.
type HourClicks struct {
	Hour           time.Time `json:"hour"`
	HoursSinceSend int       `json:"hours_since_send"`
	Human          int       `json:"human"`
	Machine        int       `json:"machine"`
}

// Opens is the pixel's count. It drives no decision.
type Opens struct {
	Total int    `json:"total"`
	Note  string `json:"note"`
}

// BuildReport puts a campaign's counts together. sentAt is when the
// campaign started sending (zero: the first hour with clicks).
func BuildReport(ct subscribers.CampaignTracking, links []subscribers.LinkClicks, hours []subscribers.ClickHour,
	opens []subscribers.OpenHour, sentAt time.Time) Report {
	r := Report{Mode: ct.Clicks, Stories: []Story{}, OverTime: []HourClicks{}}
	index := map[string]int{}
	for _, l := range links {
		i, ok := index[l.Section]
		if !ok {
			i = len(r.Stories)
			index[l.Section] = i
			r.Stories = append(r.Stories, Story{Section: l.Section})
		}
		s := &r.Stories[i]
		s.Links = append(s.Links, LinkLine{N: l.N, URL: l.URL, Human: l.Human, Machine: l.Machine, UniqueHumans: l.UniqueHumans})
		s.Human += l.Human
		s.Machine += l.Machine
		s.UniqueHumans += l.UniqueHumans
		r.Human += l.Human
		r.Machine += l.Machine
		r.UniqueHumans += l.UniqueHumans
	}
	start := sentAt.UTC().Truncate(time.Hour)
	if sentAt.IsZero() && len(hours) > 0 {
		start = hours[0].Hour
	}
	for _, h := range hours {
		r.OverTime = append(r.OverTime, HourClicks{Hour: h.Hour, HoursSinceSend: int(h.Hour.Sub(start) / time.Hour),
			Human: h.Human, Machine: h.Machine})
	}
	if ct.Opens == subscribers.OpensAggregate {
		r.Opens = &Opens{Note: OpensNote}
		for _, o := range opens {
			r.Opens.Total += o.Opens
		}
	}
	return r
}

// ReportStore is what LoadReport reads.
type ReportStore interface {
	FindCampaignTracking(ctx context.Context, id int64) (subscribers.CampaignTracking, error)
	CampaignClicks(ctx context.Context, id int64) ([]subscribers.LinkClicks, error)
	CampaignClickHours(ctx context.Context, id int64) ([]subscribers.ClickHour, error)
	CampaignOpens(ctx context.Context, id int64) ([]subscribers.OpenHour, error)
}

// LoadReport reads and builds a campaign's report, for the command and the
// console alike; nil for a campaign that tracks nothing.
func LoadReport(ctx context.Context, st ReportStore, c *subscribers.Campaign) (*Report, error) {
	ct, err := st.FindCampaignTracking(ctx, c.ID)
	if err != nil || ct.Off() {
		return nil, err
	}
	links, err := st.CampaignClicks(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	hours, err := st.CampaignClickHours(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	opens, err := st.CampaignOpens(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sent := c.StartedAt
	if sent.IsZero() {
		sent = c.CreatedAt
	}
	r := BuildReport(ct, links, hours, opens, sent)
	return &r, nil
}

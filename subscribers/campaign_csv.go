package subscribers

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"
)

// CampaignReportHeader is the header of a campaign report in CSV. The
// report is long-format, one number per row, so that every section
// (summary, timeline, failures, domains) shares one shape and a new
// section or metric is only new rows.
var CampaignReportHeader = []string{"section", "key", "metric", "value"}

// WriteCampaignReportCSV writes a campaign's report as CSV, every cell
// neutralised against spreadsheet formulas (CSVCell): the summary counts,
// the first and last delivery, deliveries per minute, returns per hour,
// failures by reply and the top domains.
func WriteCampaignReportCSV(w io.Writer, c *Campaign, st CampaignStats, r CampaignReport) error {
	cw := csv.NewWriter(w)
	row := func(section, key, metric, value string) {
		_ = cw.Write([]string{CSVCell(section), CSVCell(key), CSVCell(metric), CSVCell(value)})
	}
	num := func(section, key, metric string, n int) { row(section, key, metric, strconv.Itoa(n)) }
	at := func(t time.Time, layout string) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(layout)
	}
	_ = cw.Write(CampaignReportHeader)
	row("summary", "", "campaign", strconv.FormatInt(c.ID, 10))
	row("summary", "", "issue", c.Slug)
	row("summary", "", "subject", c.Subject)
	row("summary", "", "list", c.ListName)
	for _, m := range []struct {
		name string
		n    int
	}{
		{"recipients", st.Recipients}, {"sent", st.Sent}, {"deferred", st.Deferred}, {"failed", st.Failed},
		{"skipped", st.Skipped}, {"queued", st.Queued + st.Sending}, {"hard_bounces", st.HardBounces},
		{"soft_bounces", st.SoftBounces}, {"complaints", st.Complaints}, {"unsubscribed", st.Unsubscribed},
		{"possible_duplicates", st.PossibleDuplicates},
	} {
		num("summary", "", m.name, m.n)
	}
	row("summary", "", "first_delivery_at", at(st.FirstSentAt, time.RFC3339))
	row("summary", "", "last_delivery_at", at(st.LastSentAt, time.RFC3339))
	for _, m := range r.Minutes {
		k := at(m.At, "2006-01-02T15:04Z")
		num("deliveries_per_minute", k, "sent", m.Sent)
		num("deliveries_per_minute", k, "deferred", m.Deferred)
		num("deliveries_per_minute", k, "failed", m.Failed)
	}
	for _, h := range r.Hours {
		k := at(h.At, "2006-01-02T15Z")
		num("returns_per_hour", k, "hard_bounces", h.HardBounces)
		num("returns_per_hour", k, "soft_bounces", h.SoftBounces)
		num("returns_per_hour", k, "complaints", h.Complaints)
		num("returns_per_hour", k, "unsubscribed", h.Unsubscribed)
	}
	for _, f := range r.Failures {
		num("failures", f.Reason, "count", f.N)
	}
	for _, d := range r.Domains {
		num("domains", d.Domain, "sent", d.Sent)
		num("domains", d.Domain, "deferred", d.Deferred)
		num("domains", d.Domain, "failed", d.Failed)
		num("domains", d.Domain, "bounced", d.Bounced)
	}
	cw.Flush()
	return cw.Error()
}

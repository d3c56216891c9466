package console

import (
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Report sizes.
const (
	reportTopDomains = 10
	// timelineBars is about how many bars a timeline chart shows; longer
	// spans are grouped into buckets of several minutes or hours.
	timelineBars = 120
	// returnsSpan is how long after the first delivery the chart of
	// bounces, complaints and unsubscribes reaches at most.
	returnsSpan = 14 * 24 * time.Hour
	// rateWindow is the span over which the live rate is measured.
	rateWindow = 5 * time.Minute
)

// minuteBuckets and hourBuckets are the bucket sizes a timeline may use.
var (
	minuteBuckets = []int{1, 2, 5, 10, 15, 30, 60, 120, 240}
	hourBuckets   = []int{1, 2, 3, 6, 12, 24}
)

// bucketSize is the smallest allowed size that shows span units in at
// most timelineBars bars.
func bucketSize(span int, sizes []int) int {
	for _, k := range sizes {
		if span <= k*timelineBars {
			return k
		}
	}
	return sizes[len(sizes)-1]
}

// deliveriesChart is the timeline of the send: deliveries sent, deferred
// and failed per minute (or per few minutes), gaps included.
func deliveriesChart(ms []subscribers.MinuteCount) (barChart, string) {
	c := barChart{ID: "chart-sends", Series: []chartSeries{
		{Name: "Sent", Class: "chart-sent"}, {Name: "Deferred", Class: "chart-deferred"}, {Name: "Failed", Class: "chart-failed"}}}
	if len(ms) == 0 {
		return c, ""
	}
	first, last := ms[0].At, ms[len(ms)-1].At
	span := int(last.Sub(first)/time.Minute) + 1
	k := bucketSize(span, minuteBuckets)
	unit := "minute"
	if k > 1 {
		unit = fmt.Sprintf("%d minutes", k)
	}
	c.Bars = make([]chartBar, (span+k-1)/k)
	for i := range c.Bars {
		c.Bars[i] = chartBar{Label: first.Add(time.Duration(i*k) * time.Minute).UTC().Format("Jan 2 15:04"), Values: make([]int, 3)}
	}
	total := 0
	for _, m := range ms {
		i := int(m.At.Sub(first)/time.Minute) / k
		c.Bars[i].Values[0] += m.Sent
		c.Bars[i].Values[1] += m.Deferred
		c.Bars[i].Values[2] += m.Failed
		total += m.Sent + m.Failed
	}
	c.Title = "Deliveries per " + unit
	c.Desc = fmt.Sprintf("%s deliveries from %s to %s UTC, sent, deferred and failed per %s.",
		formatNum(total), first.UTC().Format("2006-01-02 15:04"), last.UTC().Format("2006-01-02 15:04"), unit)
	return c, unit
}

// returnsChart is the timeline after the send: hard and soft bounces,
// complaints and unsubscribes per hour (or per few hours), from the hour
// of the first delivery.
func returnsChart(hs []subscribers.HourCount, from time.Time) (barChart, string) {
	c := barChart{ID: "chart-returns", Series: []chartSeries{
		{Name: "Hard bounces", Class: "chart-failed"}, {Name: "Soft bounces", Class: "chart-deferred"},
		{Name: "Complaints", Class: "chart-complaint"}, {Name: "Unsubscribes", Class: "chart-unsub"}}}
	if len(hs) == 0 {
		return c, ""
	}
	from = from.UTC().Truncate(time.Hour)
	if from.IsZero() || hs[0].At.Before(from) {
		from = hs[0].At
	}
	end := hs[len(hs)-1].At
	if limit := from.Add(returnsSpan); end.After(limit) {
		end = limit
	}
	span := int(end.Sub(from)/time.Hour) + 1
	k := bucketSize(span, hourBuckets)
	unit := "hour"
	if k > 1 {
		unit = fmt.Sprintf("%d hours", k)
	}
	c.Bars = make([]chartBar, (span+k-1)/k)
	for i := range c.Bars {
		c.Bars[i] = chartBar{Label: from.Add(time.Duration(i*k) * time.Hour).Format("Jan 2 15:00"), Values: make([]int, 4)}
	}
	total := 0
	for _, h := range hs {
		if h.At.After(end) {
			continue
		}
		i := int(h.At.Sub(from)/time.Hour) / k
		v := c.Bars[i].Values
		v[0] += h.HardBounces
		v[1] += h.SoftBounces
		v[2] += h.Complaints
		v[3] += h.Unsubscribed
		total += h.HardBounces + h.SoftBounces + h.Complaints + h.Unsubscribed
	}
	c.Title = "Bounces, complaints and unsubscribes per " + unit
	c.Desc = fmt.Sprintf("%s bounces, complaints and unsubscribes from %s to %s UTC, per %s.",
		formatNum(total), from.Format("2006-01-02 15:00"), end.Format("2006-01-02 15:00"), unit)
	return c, unit
}

// growthChart is a list's growth per week: added, unsubscribed and
// bounced side by side.
func growthChart(ws []subscribers.GrowthWeek, from, to time.Time) barChart {
	c := barChart{ID: "chart-growth", Grouped: true, Series: []chartSeries{
		{Name: "Added", Class: "chart-sent"}, {Name: "Unsubscribed", Class: "chart-unsub"}, {Name: "Bounced", Class: "chart-failed"}}}
	from = weekStart(from)
	n := int(weekStart(to).Sub(from)/(7*24*time.Hour)) + 1
	c.Bars = make([]chartBar, n)
	for i := range c.Bars {
		c.Bars[i] = chartBar{Label: from.AddDate(0, 0, 7*i).Format("Jan 2"), Values: make([]int, 3)}
	}
	var added, left, bounced int
	for _, w := range ws {
		i := int(w.At.Sub(from) / (7 * 24 * time.Hour))
		if i < 0 || i >= n {
			continue
		}
		c.Bars[i].Values = []int{w.Added, w.Unsubscribed, w.Bounced}
		added, left, bounced = added+w.Added, left+w.Unsubscribed, bounced+w.Bounced
	}
	c.Title = "Subscribers added, unsubscribed and bounced per week"
	c.Desc = fmt.Sprintf("Over %d weeks from %s: %s added, %s unsubscribed, %s bounced or complained.",
		n, from.Format("2006-01-02"), formatNum(added), formatNum(left), formatNum(bounced))
	return c
}

// weekStart is the Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	t = t.UTC().Truncate(24 * time.Hour)
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// liveRate is the campaign's delivery rate over the last rateWindow, in
// messages per second, from its per-minute counts; 0 before the first
// delivery or after a quiet window.
func liveRate(ms []subscribers.MinuteCount, first, now time.Time) float64 {
	if first.IsZero() {
		return 0
	}
	from := now.Add(-rateWindow)
	if first.After(from) {
		from = first
	}
	n := 0
	for i := len(ms) - 1; i >= 0; i-- {
		if !ms[i].At.Add(time.Minute).After(from) {
			break
		}
		n += ms[i].Sent + ms[i].Failed
	}
	secs := now.Sub(from).Seconds()
	if secs < 1 {
		return 0
	}
	return float64(n) / secs
}

// rateText says a delivery rate in the unit that reads best.
func rateText(perSecond float64) string {
	switch {
	case perSecond >= 10:
		return fmt.Sprintf("%.0f messages/s", perSecond)
	case perSecond >= 1:
		return fmt.Sprintf("%.1f messages/s", perSecond)
	}
	return fmt.Sprintf("%.1f messages/min", perSecond*60)
}

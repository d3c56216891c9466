package console

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// barChart is a bar chart drawn on the server as SVG: no script, no
// network. Its colours are stylesheet classes (chart-*), which follow the
// light and dark themes, and its text is currentColor. The SVG has a
// title and a description; the page shows the same numbers in a table
// for screen readers and for copying.
type barChart struct {
	ID      string // unique in the page; prefixes the SVG's ids
	Title   string
	Desc    string
	Series  []chartSeries
	Bars    []chartBar
	Grouped bool // series side by side instead of stacked
}

type chartSeries struct {
	Name  string
	Class string // chart-sent, chart-failed, …
}

type chartBar struct {
	Label  string // the x value, shown on the axis for some bars
	Values []int  // one per series
}

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW, chartH         = 720, 220
	chartLeft, chartRight  = 52, 8
	chartTop, chartBottom  = 10, 30
	chartPlotW, chartPlotH = chartW - chartLeft - chartRight, chartH - chartTop - chartBottom
	chartXLabels           = 4
	chartMinBarForGapWidth = 4.0
	chartGapShare          = 0.2
	chartFontSize          = 12
	chartYTicks            = 4
)

// SVG draws the chart.
func (c barChart) SVG() template.HTML {
	var b strings.Builder
	id := html.EscapeString(c.ID)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" xmlns="http://www.w3.org/2000/svg">`,
		chartW, chartH, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, html.EscapeString(c.Title), id, html.EscapeString(c.Desc))
	top := c.scale()
	// Horizontal grid lines with their values.
	for i := 0; i <= chartYTicks; i++ {
		v := top * i / chartYTicks
		y := chartTop + chartPlotH - float64(chartPlotH)*float64(v)/float64(top)
		fmt.Fprintf(&b, `<line class="chart-grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, y, y)
		fmt.Fprintf(&b, `<text class="chart-axis" x="%d" y="%.1f" text-anchor="end" font-size="%d">%s</text>`,
			chartLeft-6, y+4, chartFontSize, compactNum(v))
	}
	n := len(c.Bars)
	if n > 0 {
		slot := float64(chartPlotW) / float64(n)
		gap := 0.0
		if slot >= chartMinBarForGapWidth {
			gap = slot * chartGapShare
		}
		for i, bar := range c.Bars {
			x := float64(chartLeft) + float64(i)*slot + gap/2
			w := slot - gap
			base := float64(chartTop + chartPlotH)
			for si, v := range bar.Values {
				if v <= 0 || si >= len(c.Series) {
					continue
				}
				h := float64(chartPlotH) * float64(v) / float64(top)
				bx, bw := x, w
				if c.Grouped {
					bw = w / float64(len(c.Series))
					bx = x + float64(si)*bw
				} else {
					base -= h
				}
				y := base
				if c.Grouped {
					y = float64(chartTop+chartPlotH) - h
				}
				fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"><title>%s: %s %s</title></rect>`,
					html.EscapeString(c.Series[si].Class), bx, y, max(bw, 0.5), h,
					html.EscapeString(bar.Label), formatNum(v), html.EscapeString(strings.ToLower(c.Series[si].Name)))
			}
		}
		// A few x labels: the first, the last and evenly between.
		for _, i := range labelIndexes(n, chartXLabels) {
			x := float64(chartLeft) + (float64(i)+0.5)*slot
			anchor := "middle"
			switch {
			case i == 0 && n > 1:
				anchor, x = "start", float64(chartLeft)
			case i == n-1 && n > 1:
				anchor, x = "end", float64(chartW-chartRight)
			}
			fmt.Fprintf(&b, `<text class="chart-axis" x="%.1f" y="%d" text-anchor="%s" font-size="%d">%s</text>`,
				x, chartH-10, anchor, chartFontSize, html.EscapeString(c.Bars[i].Label))
		}
	}
	fmt.Fprintf(&b, `<line class="chart-base" x1="%d" x2="%d" y1="%d" y2="%d"/>`, chartLeft, chartW-chartRight, chartTop+chartPlotH, chartTop+chartPlotH)
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every value above is escaped or a number
}

// scale is the top of the y axis: chartYTicks steps of 1, 2, 2.5 or 5
// times a power of ten, reaching the tallest bar.
func (c barChart) scale() int {
	most := 0
	for _, bar := range c.Bars {
		sum := 0
		for _, v := range bar.Values {
			if c.Grouped {
				sum = max(sum, v)
			} else {
				sum += v
			}
		}
		most = max(most, sum)
	}
	if most <= chartYTicks {
		return chartYTicks
	}
	need := float64(most) / chartYTicks
	p := math.Pow(10, math.Floor(math.Log10(need)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step := m * p; step >= need && step == math.Trunc(step) {
			return int(step) * chartYTicks
		}
	}
	return most
}

// labelIndexes picks k indexes spread over 0..n-1, first and last
// included.
func labelIndexes(n, k int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, k)
	for j := range k {
		out = append(out, j*(n-1)/(k-1))
	}
	return out
}

// compactNum writes an axis value short: 950, 12k, 1.5M.
func compactNum(n int) string {
	switch {
	case n >= 1_000_000:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64), ".0") + "M"
	case n >= 10_000:
		return strconv.Itoa(n/1000) + "k"
	case n >= 1_000:
		return strings.TrimSuffix(strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64), ".0") + "k"
	}
	return strconv.Itoa(n)
}

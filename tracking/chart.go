package tracking

import (
	"fmt"
	"html"
	"strings"
)

// Chart draws the human clicks per hour since sending as a small SVG bar
// chart, server-side: no script, nothing loaded. Machine clicks are left
// out on purpose: the chart answers "when did people read it".
func (r Report) Chart() string {
	const w, h, left, bottom, top = 640, 200, 40, 24, 12
	hours := 1
	peak := 0
	for _, p := range r.OverTime {
		hours = max(hours, p.HoursSinceSend+1)
		peak = max(peak, p.Human)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="clicks-title">`, w, h, w, h)
	b.WriteString(`<title id="clicks-title">Human clicks per hour since sending</title>`)
	plotW, plotH := float64(w-left-8), float64(h-bottom-top)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#555"/>`, left, h-bottom, w-8, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%d</text>`, left-4, top+8, peak)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">0</text>`, left-4, h-bottom)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">0 h</text>`, left, h-6)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" text-anchor="end">%d h after sending</text>`, w-8, h-6, hours)
	if peak > 0 {
		bw := plotW / float64(hours)
		for _, p := range r.OverTime {
			if p.Human <= 0 || p.HoursSinceSend < 0 {
				continue
			}
			bh := plotH * float64(p.Human) / float64(peak)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#1f5fa6"><title>%s</title></rect>`,
				float64(left)+bw*float64(p.HoursSinceSend), float64(h-bottom)-bh, max(bw-1, 1), bh,
				html.EscapeString(fmt.Sprintf("hour %d: %d human clicks", p.HoursSinceSend, p.Human)))
		}
	} else {
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="middle">No human clicks yet</text>`, w/2, h/2)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

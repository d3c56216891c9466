package console

import (
	"strings"
	"testing"
)

func TestChartScale(t *testing.T) {
	tests := []struct {
		name    string
		values  [][]int
		grouped bool
		want    int
	}{
		{name: "empty", want: 4},
		{name: "small", values: [][]int{{1, 2}}, want: 4},
		{name: "stacked", values: [][]int{{40, 30}, {10, 0}}, want: 80},
		{name: "a step of 2.5", values: [][]int{{90}}, want: 100},
		{name: "grouped takes the tallest", values: [][]int{{40, 30}}, grouped: true, want: 40},
		{name: "thousands", values: [][]int{{1234}}, want: 2000},
		{name: "a million", values: [][]int{{960_000}}, want: 1_000_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := barChart{Grouped: tc.grouped}
			for _, v := range tc.values {
				c.Bars = append(c.Bars, chartBar{Values: v})
			}
			if got := c.scale(); got != tc.want {
				t.Errorf("scale of %v = %d; want %d", tc.values, got, tc.want)
			}
		})
	}
}

func TestCompactNum(t *testing.T) {
	for n, want := range map[int]string{0: "0", 950: "950", 1000: "1k", 1500: "1.5k", 12_000: "12k", 250_000: "250k", 1_000_000: "1M", 1_500_000: "1.5M"} {
		if got := compactNum(n); got != want {
			t.Errorf("compactNum(%d) = %q; want %q", n, got, want)
		}
	}
}

// TestChartEscapes: labels and names cannot break out of the SVG.
func TestChartEscapes(t *testing.T) {
	c := barChart{ID: "x", Title: `<script>`, Desc: `"&`, Series: []chartSeries{{Name: "<b>", Class: "chart-sent"}},
		Bars: []chartBar{{Label: "</svg><script>", Values: []int{3}}}}
	svg := string(c.SVG())
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "</svg><") || strings.Contains(svg, "<b>") {
		t.Errorf("unescaped text in %s", svg)
	}
	if !strings.Contains(svg, `<rect class="chart-sent"`) || !strings.HasSuffix(svg, "</svg>") {
		t.Errorf("no bar, or not one SVG: %s", svg)
	}
}

func TestBucketSize(t *testing.T) {
	for _, tc := range []struct{ span, want int }{{1, 1}, {120, 1}, {121, 2}, {600, 5}, {2000, 30}, {100000, 240}} {
		if got := bucketSize(tc.span, minuteBuckets); got != tc.want {
			t.Errorf("bucketSize(%d minutes) = %d; want %d", tc.span, got, tc.want)
		}
	}
}

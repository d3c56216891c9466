package loadtest

import (
	"fmt"
	"slices"
	"time"
)

// Result is what one load run measured.
type Result struct {
	Requests int64         // answered requests
	Failed   int64         // refused, cut or answered with an unexpected status
	Elapsed  time.Duration // wall time of the run
	Rate     float64       // answered requests per second
	P50, P99 time.Duration
	// CPU is the CPU time (user and system) this process spent during the
	// run: the server's, when the server runs in the benchmark's process
	// and the client in its own (wrk, hey).
	CPU time.Duration
	// Output is the tool's own report (wrk and hey).
	Output []byte
}

// CPUPerRequest is CPU divided by the answered requests.
func (r Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Requests)
}

// Metrics is what testing.B's ReportMetric takes.
type Metrics interface {
	ReportMetric(n float64, unit string)
}

// Report reports the rate, p50, p99 and (when known) the CPU per request
// as benchmark metrics, and zeroes ns/op, which means nothing for a run of
// concurrent requests.
func (r Result) Report(b Metrics) {
	b.ReportMetric(r.Rate, "req/s")
	b.ReportMetric(ms(r.P50), "p50-ms")
	b.ReportMetric(ms(r.P99), "p99-ms")
	if r.CPU > 0 {
		b.ReportMetric(float64(r.CPUPerRequest().Nanoseconds())/1000, "cpu-µs/req")
	}
	b.ReportMetric(0, "ns/op")
}

func (r Result) String() string {
	return fmt.Sprintf("%d requests (%d failed) in %v: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %.1f CPU µs/req",
		r.Requests, r.Failed, r.Elapsed.Round(time.Millisecond), r.Rate, ms(r.P50), ms(r.P99),
		float64(r.CPUPerRequest().Nanoseconds())/1000)
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// percentile returns the p-th percentile (0 < p < 100) of sorted
// latencies, by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func sortedCopy(lat []time.Duration) []time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s
}

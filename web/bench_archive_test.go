package web_test

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// BenchmarkArchiveConcurrent is the archive load test of
// docs/benchmarks.md in-process: b.N GETs of archive pages from 50
// concurrent clients over loopback HTTP, against a real database holding a
// public list with 30 sent issues. Each client alternates between the web
// version of an issue and the first page of the index, always fetching the
// whole page (no revalidation). It reports requests per second and the
// 99th percentile latency. Run it with a fixed count:
//
//	go test ./web -run '^$' -bench ArchiveConcurrent -benchtime 20000x -count 3
func BenchmarkArchiveConcurrent(b *testing.B) {
	for _, tc := range []struct {
		name string
		path func(i int) string
	}{
		{"issue", func(i int) string { return "/archive/briefing/issue-" + itoa(int64(i%30)) }},
		{"index", func(int) string { return "/archive/briefing" }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			const clients = 50
			e := newEnv(b, func(c *web.Config) { c.RatePerSecond, c.ArchiveRatePerSecond = -1, -1 })
			e.createList("briefing", subscribers.Public)
			for i := range 30 {
				e.sendIssue("briefing", "issue-"+itoa(int64(i)), "Issue "+itoa(int64(i)))
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			lat := make([]time.Duration, b.N)
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1) - 1)
						if i >= b.N {
							return
						}
						t0 := time.Now()
						resp, err := client.Get(e.ts.URL + tc.path(i))
						if err != nil {
							failed.Add(1)
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						lat[i] = time.Since(t0)
						if resp.StatusCode != http.StatusOK {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failed.Load(); n > 0 {
				b.Fatalf("%d of %d GETs failed", n, b.N)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkArchiveWrk serves the same archive and has wrk (Debian's wrk,
// in its own process) fetch one issue's web version for 10 seconds over
// 50 connections; it reports wrk's rate and 99th percentile. It fails
// without wrk. Run it once:
//
//	go test ./web -run '^$' -bench ArchiveWrk -benchtime 1x
func BenchmarkArchiveWrk(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Fatal("wrk not found: apt-get install wrk")
	}
	e := newEnv(b, func(c *web.Config) { c.RatePerSecond, c.ArchiveRatePerSecond = -1, -1 })
	e.createList("briefing", subscribers.Public)
	for i := range 30 {
		e.sendIssue("briefing", "issue-"+itoa(int64(i)), "Issue "+itoa(int64(i)))
	}
	if resp, _ := e.get(e.ts.URL + "/archive/briefing/issue-7"); resp.StatusCode != http.StatusOK {
		b.Fatalf("issue page: %d", resp.StatusCode)
	}
	b.ResetTimer()
	for range b.N {
		out, err := exec.Command(wrk, "-t2", "-c50", "-d10s", "--latency", e.ts.URL+"/archive/briefing/issue-7").CombinedOutput()
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		b.Logf("%s", out)
		rate := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		p99 := regexp.MustCompile(`99%\s+([0-9.]+)(us|ms|s)`).FindSubmatch(out)
		if rate == nil || p99 == nil || bytes.Contains(out, []byte("Non-2xx")) {
			b.Fatalf("wrk output not understood, or errors:\n%s", out)
		}
		r, _ := strconv.ParseFloat(string(rate[1]), 64)
		p, _ := strconv.ParseFloat(string(p99[1]), 64)
		switch string(p99[2]) {
		case "us":
			p /= 1000
		case "s":
			p *= 1000
		}
		b.ReportMetric(r, "req/s")
		b.ReportMetric(p, "p99-ms")
	}
	b.ReportMetric(0, "ns/op")
}

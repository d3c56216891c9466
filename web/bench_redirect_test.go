package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// BenchmarkRedirectHey is the redirect's load test of docs/benchmarks.md:
// hey sends b.N GETs of one tracked link over 50 connections to a real
// server on loopback with a real database, counting (and flushing every
// second) as in production. It reports hey's requests per second and 99th
// percentile, and checks that every 302 was counted. hey is found in
// DISPATCH_HEY or on PATH; install it with
//
//	GOBIN=/tmp/bin go install github.com/rakyll/hey@latest
//
// and run, with a fixed count:
//
//	DISPATCH_HEY=/tmp/bin/hey go test ./web -run '^$' -bench RedirectHey -benchtime 50000x -count 3
func BenchmarkRedirectHey(b *testing.B) {
	hey := os.Getenv("DISPATCH_HEY")
	if hey == "" {
		var err error
		if hey, err = exec.LookPath("hey"); err != nil {
			b.Fatal("hey is not installed: GOBIN=/tmp/bin go install github.com/rakyll/hey@latest, then DISPATCH_HEY=/tmp/bin/hey")
		}
	}
	e := newEnv(b, func(c *web.Config) { c.Listen = "127.0.0.1:0" })
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	if err := e.srv.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.srv.Close(context.Background()) })
	url := "http://" + e.srv.Addr() + e.linkPath(id, 1)

	n := max(b.N, 50) // hey sends at least one request per connection
	b.ResetTimer()
	out, err := exec.Command(hey, "-n", strconv.Itoa(n), "-c", "50", "-disable-redirects", "-H", "User-Agent: "+chrome, url).CombinedOutput()
	b.StopTimer()
	if err != nil {
		b.Fatalf("hey: %v\n%s", err, out)
	}
	find := func(re string) float64 {
		m := regexp.MustCompile(re).FindSubmatch(out)
		if m == nil {
			b.Fatalf("hey output lacks %s:\n%s", re, out)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
	b.ReportMetric(find(`Requests/sec:\s+([0-9.]+)`), "req/s")
	// hey prints no 99th percentile for a run too short to have one (the
	// benchmark's first, b.N = 1).
	if regexp.MustCompile(`99%+ in`).Match(out) {
		b.ReportMetric(find(`99%+ in ([0-9.]+) secs`)*1000, "p99-ms")
	}
	answered := int(find(`\[302\]\s+(\d+) responses`))
	if err := e.srv.FlushClicks(context.Background()); err != nil {
		b.Fatal(err)
	}
	lc, err := e.store.CampaignClicks(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	if counted := lc[0].Human + lc[0].Machine; counted != answered || answered != n {
		b.Fatalf("%d requests, %d answered 302, %d counted; want all counted", n, answered, counted)
	}
}

// BenchmarkRedirectHandler is the CPU one redirect costs the server,
// without the network: the handler chain, the signature check, the cached
// link, the classification and the count.
func BenchmarkRedirectHandler(b *testing.B) {
	e := newEnv(b, nil)
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	h := e.srv.Handler()
	req := httptest.NewRequest("GET", e.linkPath(id, 1), nil)
	req.Header.Set("User-Agent", chrome)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusFound {
			b.Fatalf("status %d", w.Code)
		}
	}
}

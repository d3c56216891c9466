package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dispatchhq/dispatch/internal/loadtest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// redirectLoad opens a real server on loopback over a real database, with
// one campaign tracked in aggregate mode, counting (and flushing every
// second) as in production. It returns the URL of a tracked link and a
// function that flushes and returns how many clicks were counted.
func redirectLoad(b *testing.B) (string, func() int) {
	e := newEnv(b, func(c *web.Config) { c.Listen = "127.0.0.1:0" })
	id, _ := e.trackedCampaign("news", subscribers.TrackAggregate)
	if err := e.srv.Open(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.srv.Close(context.Background()) })
	counted := func() int {
		if err := e.srv.FlushClicks(context.Background()); err != nil {
			b.Fatal(err)
		}
		lc, err := e.store.CampaignClicks(context.Background(), id)
		if err != nil {
			b.Fatal(err)
		}
		return lc[0].Human + lc[0].Machine
	}
	return "http://" + e.srv.Addr() + e.linkPath(id, 1), counted
}

// BenchmarkRedirectHey is the redirect's load test of docs/benchmarks.md:
// hey sends b.N GETs (at least 1,000) of one tracked link over 50
// connections (see redirectLoad). It reports hey's rate and percentiles
// and the server's CPU per request, and fails unless every request was
// answered 302 and counted. hey is found in DISPATCH_HEY or on PATH;
// install it with
//
//	GOBIN=/tmp/bin go install github.com/rakyll/hey@latest
//
// and run, with a fixed count:
//
//	DISPATCH_HEY=/tmp/bin/hey go test ./web -run '^$' -bench RedirectHey -benchtime 50000x -count 3
//
// hey burns about as much CPU as the server: on two cores it lengthens
// the server's tail. BenchmarkRedirectWrk is the lighter client.
func BenchmarkRedirectHey(b *testing.B) {
	url, counted := redirectLoad(b)
	n := max(b.N, 1000)
	r, err := loadtest.Hey(context.Background(), loadtest.Options{URL: url, Requests: n,
		Headers: []string{"User-Agent: " + chrome}, Status: http.StatusFound})
	if err != nil {
		b.Fatal(err)
	}
	if c := counted(); r.Failed != 0 || r.Requests != int64(n) || c != n {
		b.Fatalf("%d requests, %d answered 302, %d failed, %d counted; want all answered and counted", n, r.Requests, r.Failed, c)
	}
	r.Report(b)
}

// BenchmarkRedirectWrk is the same load test with wrk: 50 connections
// for 10 seconds per iteration. wrk stops mid-request, so up to one click
// per connection can be counted that wrk never saw answered; fewer clicks
// than answers is a lost count and fails. Run it with
//
//	go test ./web -run '^$' -bench RedirectWrk -benchtime 1x -count 3
func BenchmarkRedirectWrk(b *testing.B) {
	const conns = 50
	for range b.N {
		url, counted := redirectLoad(b)
		r, err := loadtest.Wrk(context.Background(), loadtest.Options{URL: url, Connections: conns,
			Headers: []string{"User-Agent: " + chrome}})
		if err != nil {
			b.Fatal(err)
		}
		if c := int64(counted()); r.Failed != 0 || c < r.Requests || c > r.Requests+conns {
			b.Fatalf("%d answered, %d failed, %d counted; want none failed and every answer counted:\n%s", r.Requests, r.Failed, c, r.Output)
		}
		b.Log(r)
		r.Report(b)
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

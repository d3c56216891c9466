package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/dispatchhq/dispatch/internal/loadtest"
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
			b.ResetTimer()
			r, err := loadtest.Clients{Clients: clients, N: b.N, Do: func(i int) error {
				resp, err := client.Get(e.ts.URL + tc.path(i))
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return fmt.Errorf("GET %s: %s", tc.path(i), resp.Status)
				}
				return nil
			}}.Run()
			b.StopTimer()
			if err != nil {
				b.Fatalf("%d of %d GETs failed; the first: %v", r.Failed, b.N, err)
			}
			r.Report(b)
		})
	}
}

// BenchmarkArchiveHandler is one web version request through the whole
// handler (access log, headers, routing, the kept answer, ServeContent)
// without a network: its time and allocations are the server's own work
// per request, beside what net/http and the kernel add.
func BenchmarkArchiveHandler(b *testing.B) {
	e := newEnv(b, func(c *web.Config) {
		c.RatePerSecond, c.ArchiveRatePerSecond = -1, -1
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	e.createList("briefing", subscribers.Public)
	e.sendIssue("briefing", "issue-7", "Issue 7")
	h := e.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/archive/briefing/issue-7", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu := loadtest.ProcessCPU()
	for b.Loop() {
		clear(w.h)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("status %d", w.code)
		}
	}
	// CPU time, steadier than wall time on a shared machine.
	b.ReportMetric(float64((loadtest.ProcessCPU()-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// discardWriter is a ResponseWriter that keeps the status and headers and
// drops the body, reused from request to request.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

// BenchmarkArchiveWrk serves the same archive and has wrk (Debian's wrk,
// in its own process; see internal/loadtest) fetch one issue's web version
// for 10 seconds over 50 connections (issue); then, as the floor this
// machine allows, the same bytes with the same headers from a handler that
// only writes them (static). Each reports wrk's rate, median and 99th
// percentile, and the CPU the server's process spent per request (wrk's
// own CPU is not in it). Access lines are formatted as in production but
// discarded. Run it once, and with -cpu 1,2 to see the effect of
// GOMAXPROCS:
//
//	go test ./web -run '^$' -bench ArchiveWrk -benchtime 1x
func BenchmarkArchiveWrk(b *testing.B) {
	e := newEnv(b, func(c *web.Config) {
		c.RatePerSecond, c.ArchiveRatePerSecond = -1, -1
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	e.createList("briefing", subscribers.Public)
	for i := range 30 {
		e.sendIssue("briefing", "issue-"+itoa(int64(i)), "Issue "+itoa(int64(i)))
	}
	const path = "/archive/briefing/issue-7"
	resp, page := e.get(e.ts.URL + path)
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("issue page: %d", resp.StatusCode)
	}
	b.Run("issue", func(b *testing.B) { runWrk(b, e.ts.URL+path) })
	b.Run("static", func(b *testing.B) {
		h, body := resp.Header.Clone(), []byte(page)
		h.Del("Date")
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			maps.Copy(w.Header(), h)
			_, _ = w.Write(body)
		}))
		defer ts.Close()
		runWrk(b, ts.URL+path)
	})
}

// runWrk runs wrk against url b.N times, and fails unless every answer
// was a 200.
func runWrk(b *testing.B, url string) {
	for range b.N {
		r, err := loadtest.Wrk(context.Background(), loadtest.Options{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		if r.Failed > 0 || bytes.Contains(r.Output, []byte("Non-2xx")) {
			b.Fatalf("%d failed:\n%s", r.Failed, r.Output)
		}
		b.Logf("%s\n%s", r, r.Output)
		r.Report(b)
	}
}

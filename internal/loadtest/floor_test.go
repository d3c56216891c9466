package loadtest_test

import (
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/dispatchhq/dispatch/internal/loadtest"
)

// floorServer serves a 302 with the redirect's headers and nothing else:
// no signature, no lookup, no counting. Its figures are what the machine
// and net/http allow before any of Dispatch's work, the floor the
// redirect's figures compare with.
func floorServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Location", "https://stories.example.com/one")
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		w.WriteHeader(http.StatusFound)
	})}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/l/1/1.sig"
}

// BenchmarkFloorWrk is the trivial handler under wrk, 50 connections for
// 10 seconds per iteration, as BenchmarkRedirectWrk (web) runs:
//
//	go test ./internal/loadtest -run '^$' -bench FloorWrk -benchtime 1x
func BenchmarkFloorWrk(b *testing.B) {
	url := floorServer(b)
	for range b.N {
		r, err := loadtest.Wrk(context.Background(), loadtest.Options{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		if r.Failed > 0 {
			b.Fatalf("%d failed:\n%s", r.Failed, r.Output)
		}
		b.Log(r)
		r.Report(b)
	}
}

// BenchmarkFloorHey is the trivial handler under hey, b.N requests over
// 50 connections, as BenchmarkRedirectHey (web) runs:
//
//	DISPATCH_HEY=/tmp/bin/hey go test ./internal/loadtest -run '^$' -bench FloorHey -benchtime 50000x
func BenchmarkFloorHey(b *testing.B) {
	url := floorServer(b)
	// At least 1,000: hey has no percentiles for the benchmark's first
	// run of one.
	r, err := loadtest.Hey(context.Background(), loadtest.Options{URL: url, Requests: max(b.N, 1000), Status: http.StatusFound})
	if err != nil {
		b.Fatal(err)
	}
	if r.Failed > 0 {
		b.Fatalf("%d failed:\n%s", r.Failed, r.Output)
	}
	b.Log(r)
	r.Report(b)
}

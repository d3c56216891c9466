package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/internal/loadtest"
	"github.com/dispatchhq/dispatch/internal/synthetic"

	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// BenchmarkOneClickConcurrent is the one-click load test of
// docs/benchmarks.md in-process: b.N RFC 8058 POSTs, each with a distinct
// valid link, from 50 concurrent clients over loopback HTTP, against a
// real database of b.N subscribers. It reports requests per second and
// the 99th percentile latency, and checks that every answered POST is in
// the database. Run it with a fixed count:
//
//	go test ./web -run '^$' -bench OneClickConcurrent -benchtime 10000x -count 3
func BenchmarkOneClickConcurrent(b *testing.B) {
	const clients = 50
	e := newEnv(b, func(c *web.Config) { c.RatePerSecond, c.OneClickRatePerSecond = -1, -1 })
	ctx := context.Background()
	if _, err := csvimport.Import(ctx, e.store, "bench.csv", synthetic.CSV(b.N), subscribers.ImportConfig{List: "bench"}); err != nil {
		b.Fatal(err)
	}
	list := e.listID("bench")
	var urls []string
	if err := e.store.FindSubscribers(ctx, subscribers.SubscriberFilter{List: "bench"}, func(s *subscribers.Subscriber) error {
		urls = append(urls, e.unsubscribeURL(s.ID, list, 0))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	b.ResetTimer()
	r, err := loadtest.Clients{Clients: clients, N: len(urls), Do: func(i int) error {
		resp, err := client.Post(urls[i], "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body) // so the connection is reused
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST %s: %s", urls[i], resp.Status)
		}
		return nil
	}}.Run()
	b.StopTimer()

	if err != nil {
		b.Fatalf("%d of %d POSTs failed; the first: %v", r.Failed, len(urls), err)
	}
	applied := sqlitetest.CountSubscriptions(b, e.store, list, subscribers.Unsubscribed)
	if applied != len(urls) {
		b.Fatalf("%d of %d answered POSTs are in the database", applied, len(urls))
	}
	r.Report(b)
}

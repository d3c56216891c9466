package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/loadtest"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

// countingSender counts the mail the queue hands it and sends none.
type countingSender struct{ n atomic.Int64 }

func (c *countingSender) SendMail(context.Context, web.Mail) error { c.n.Add(1); return nil }

// BenchmarkSubscribeConcurrent is the subscribe form's load test of
// docs/benchmarks.md: b.N POSTs of the hosted form, each a new address
// from its own client address (X-Forwarded-For through a trusted proxy),
// 50 concurrent connections over loopback HTTP, with every rate limiter at
// its default. Each POST goes the whole way: form, stamp and honeypot
// checks, four rate-limit buckets, the unconfirmed subscription written to
// a real database, the confirmation queued. It reports requests per second
// and p99, and checks that every answered POST left an unconfirmed
// subscription and a mail. Run it with a fixed count:
//
//	go test ./web -run '^$' -bench SubscribeConcurrent -benchtime 10000x -count 3
func BenchmarkSubscribeConcurrent(b *testing.B) {
	const clients = 50
	sent := &countingSender{}
	q := web.NewMailQueue(sent.SendMail, b.N+1, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e := newEnv(b, func(c *web.Config) {
		c.Mail = q
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	l, err := e.store.CreateList(ctx, subscribers.NewList{Name: "news", Visibility: subscribers.Public})
	if err != nil {
		b.Fatal(err)
	}
	stamp := e.tokens.FormStamp(l.ID, time.Now().Add(-time.Minute))
	target := e.ts.URL + "/subscribe/news"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	b.ResetTimer()
	r, err := loadtest.Clients{Clients: clients, N: b.N, Do: func(i int) error {
		body := url.Values{"email": {fmt.Sprintf("reader%07d@example.com", i)}, "name": {"Reader"}, "stamp": {stamp}, "website": {""}}
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST %s: %s", target, resp.Status)
		}
		return nil
	}}.Run()
	b.StopTimer()

	if err != nil {
		b.Fatalf("%d of %d POSTs failed; the first: %v", r.Failed, b.N, err)
	}
	if got := sqlitetest.CountSubscriptions(b, e.store, l.ID, subscribers.Unconfirmed); got != b.N {
		b.Fatalf("%d of %d answered POSTs left an unconfirmed subscription", got, b.N)
	}
	for deadline := time.Now().Add(30 * time.Second); sent.n.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := sent.n.Load(); got != int64(b.N) {
		b.Fatalf("%d of %d confirmations mailed", got, b.N)
	}
	r.Report(b)
}

// BenchmarkSubscribeFlood is one client posting as fast as 50 connections
// allow: after its burst, the per-client limiter answers 429 before the
// form is read. It reports the rate of answers and how many got through.
//
//	go test ./web -run '^$' -bench SubscribeFlood -benchtime 20000x -count 3
func BenchmarkSubscribeFlood(b *testing.B) {
	const clients = 50
	sent := &countingSender{}
	q := web.NewMailQueue(sent.SendMail, 100, nil)
	e := newEnv(b, func(c *web.Config) {
		c.Mail = q
	})
	l, err := e.store.CreateList(context.Background(), subscribers.NewList{Name: "news", Visibility: subscribers.Public})
	if err != nil {
		b.Fatal(err)
	}
	body := url.Values{"email": {"flood@example.com"}, "stamp": {e.tokens.FormStamp(l.ID, time.Now().Add(-time.Minute))}}.Encode()
	target := e.ts.URL + "/subscribe/news"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var next, ok, limited atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				resp, err := client.Post(target, "application/x-www-form-urlencoded", strings.NewReader(body))
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					ok.Add(1)
				case http.StatusTooManyRequests:
					limited.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if ok.Load()+limited.Load() != int64(b.N) || ok.Load() > int64(web.DefaultSubscribeBurst)+int64(elapsed.Seconds()*web.DefaultSubscribeRate)+1 {
		b.Fatalf("%d accepted and %d refused of %d; want all but the burst refused", ok.Load(), limited.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(ok.Load()), "accepted")
	b.ReportMetric(0, "ns/op")
}

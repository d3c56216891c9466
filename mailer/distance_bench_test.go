package mailer_test

// Sending at a distance: every connection goes through an in-process
// proxy that delays each direction by -latency (smtptest.LatencyProxy), so
// round trips, not CPU, bound the rate. In the same run it measures
// Dispatch, Dispatch with BDAT (CHUNKING, off by default), and the bare
// smtptest.RawClient with and without PIPELINING, all sending the same
// message of about 30 KB over -conns connections:
//
//	go test ./mailer -run '^$' -bench '^BenchmarkDistance$' -benchtime 1x -count 3 -latency 10ms -conns 4 -distance-msgs 400
//
// "ratio" is Dispatch over the pipelining bare client (measured before and
// after Dispatch and averaged, so load weighs on both alike).

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

var (
	benchLatency    = flag.Duration("latency", 10*time.Millisecond, "one-way delay of BenchmarkDistance's proxy")
	distanceMsgs    = flag.Int("distance-msgs", 400, "messages per BenchmarkDistance pass")
	distanceStories = flag.Int("distance-stories", 16, "stories in BenchmarkDistance's issue (16: about 30 KB a message)")
)

func BenchmarkDistance(b *testing.B) {
	n, conns, oneWay := *distanceMsgs, *benchConns, *benchLatency
	bs := newBenchStoreOf(b, n, benchIssueOf(*distanceStories))
	sample := bs.sampleMessage(b)
	srv := smtptest.NewServer(b, smtptest.DiscardBodies())
	proxy := smtptest.NewLatencyProxy(b, srv.Addr(), oneWay)
	relay := mailer.Relay{Host: proxy.Host(), Port: proxy.Port()}

	dispatchPass := func(r mailer.Relay) (float64, *mailer.RunResult) {
		c := bs.campaign(b)
		s := bs.senderTo(b, r, conns, 0)
		srv.Reset()
		start := time.Now()
		res, err := s.Run(context.Background(), c, nil)
		el := time.Since(start)
		if err != nil || res.Sent != n {
			b.Fatalf("run = %+v, %v; want %d sent", res, err, n)
		}
		if got := srv.Stats().Messages; got != n {
			b.Fatalf("server accepted %d; want %d", got, n)
		}
		return float64(n) / el.Seconds(), res
	}
	var dispatch, bdat, pipelined, lockstep, rtt float64
	for b.Loop() {
		b.StopTimer()
		r, _ := rawPass(b, srv, proxy.Addr(), sample, n, conns, true)
		pipelined += r / 2
		r, _ = rawPass(b, srv, proxy.Addr(), sample, n, conns, false)
		lockstep += r
		r, res := dispatchPass(relay)
		dispatch += r
		rtt += float64(res.RelayRTT.Microseconds()) / 1000
		withBDAT := relay
		withBDAT.Chunking = true
		r, _ = dispatchPass(withBDAT)
		bdat += r
		r, _ = rawPass(b, srv, proxy.Addr(), sample, n, conns, true)
		pipelined += r / 2
		b.StartTimer()
	}
	iters := float64(b.N)
	b.ReportMetric(dispatch/iters, "msgs/s")
	b.ReportMetric(pipelined/iters, "pipelining-msgs/s")
	b.ReportMetric(lockstep/iters, "lockstep-msgs/s")
	b.ReportMetric(bdat/iters, "bdat-msgs/s")
	b.ReportMetric(dispatch/pipelined, "ratio")
	b.ReportMetric(bdat/pipelined, "bdat-ratio")
	b.ReportMetric(rtt/iters, "relay-rtt-ms")
	b.ReportMetric(float64(sample.Size), "bytes/msg")
	b.ReportMetric(0, "ns/op")
}

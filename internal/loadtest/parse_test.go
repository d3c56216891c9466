package loadtest

import (
	"errors"
	"testing"
	"time"
)

const wrkReport = `Running 10s test @ http://127.0.0.1:41235/l/1/1.sig
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     3.21ms    9.87ms 141.99ms   96.12%
    Req/Sec     7.42k     1.01k    9.61k    70.50%
  Latency Distribution
     50%  812.00us
     75%    3.10ms
     90%    4.20ms
     99%    1.42s
  149625 requests in 10.01s, 17.41MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 12
Requests/sec:  14950.12
Transfer/sec:      1.74MB
`

const heyReport = `
Summary:
  Total:	3.2263 secs
  Requests/sec:	15497.6112

Latency distribution:
  10%% in 0.0010 secs
  50%% in 0.0025 secs
  99%% in 0.0114 secs

Status code distribution:
  [302]	49990 responses
  [503]	7 responses

Error distribution:
  [3]	Get "http://127.0.0.1:1/": dial tcp: connection refused
`

func TestParseReports(t *testing.T) {
	wrk, err := parseWrk([]byte(wrkReport))
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Requests: 149613, Failed: 15, Rate: 14950.12, P50: 812 * time.Microsecond, P99: 1420 * time.Millisecond}
	if wrk.Requests != want.Requests || wrk.Failed != want.Failed || wrk.Rate != want.Rate || wrk.P50 != want.P50 || wrk.P99 != want.P99 {
		t.Errorf("wrk = %+v; want %+v", wrk, want)
	}
	hey, err := parseHey([]byte(heyReport), 302)
	if err != nil {
		t.Fatal(err)
	}
	want = Result{Requests: 49990, Failed: 10, Rate: 15497.6112, P50: 2500 * time.Microsecond, P99: 11400 * time.Microsecond}
	if hey.Requests != want.Requests || hey.Failed != want.Failed || hey.Rate != want.Rate || hey.P50 != want.P50 || hey.P99 != want.P99 {
		t.Errorf("hey = %+v; want %+v", hey, want)
	}
	if _, err := parseWrk([]byte("Running 10s test\n  149625 requests in 10.01s\n")); err == nil {
		t.Error("a wrk report without --latency parsed")
	}
}

func TestClientsCountsEveryRequestOnce(t *testing.T) {
	var seen [1000]int
	r, err := Clients{Clients: 7, N: len(seen), Do: func(i int) error {
		seen[i]++ // each i goes to exactly one client
		if i%10 == 0 {
			return errors.New("refused")
		}
		return nil
	}}.Run()
	if err == nil || err.Error() != "refused" {
		t.Errorf("err = %v; want the first failure", err)
	}
	if r.Requests != 900 || r.Failed != 100 {
		t.Errorf("requests %d, failed %d; want 900 and 100", r.Requests, r.Failed)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("request %d sent %d times", i, n)
		}
	}
	if r.P50 > r.P99 || r.Rate <= 0 {
		t.Errorf("p50 %v, p99 %v, rate %v", r.P50, r.P99, r.Rate)
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 200; i++ {
		lat = append(lat, time.Duration(i))
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 100}, {99, 198}, {100, 200}, {0.1, 1}} {
		if got := percentile(lat, c.p); got != c.want {
			t.Errorf("p%v = %v; want %v", c.p, got, c.want)
		}
	}
}

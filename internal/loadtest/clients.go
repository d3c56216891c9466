package loadtest

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clients is the in-process load loop: Clients goroutines share N
// requests, each calling Do(i) for the next i until all are sent, and the
// latency of each call is recorded. Do returns an error for a failed
// request (refused, or the wrong status).
type Clients struct {
	Clients int // default 50
	N       int
	Do      func(i int) error
}

// Run runs the loop. The first error of Do is returned after the run (the
// run itself goes on), with the result.
func (c Clients) Run() (Result, error) {
	clients := c.Clients
	if clients <= 0 {
		clients = 50
	}
	lat := make([]time.Duration, c.N)
	ok := make([]bool, c.N)
	var next, failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	cpu0, start := ProcessCPU(), time.Now()
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= c.N {
					return
				}
				t0 := time.Now()
				err := c.Do(i)
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				ok[i] = true
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), ProcessCPU()-cpu0
	answered := lat[:0:0]
	for i, d := range lat {
		if ok[i] {
			answered = append(answered, d)
		}
	}
	s := sortedCopy(answered)
	r := Result{Requests: int64(len(s)), Failed: failed.Load(), Elapsed: elapsed,
		P50: percentile(s, 50), P99: percentile(s, 99), CPU: cpu}
	if elapsed > 0 {
		r.Rate = float64(r.Requests) / elapsed.Seconds()
	}
	return r, firstErr
}

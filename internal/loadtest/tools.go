package loadtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"time"
)

// Options is one run of wrk or hey against URL.
type Options struct {
	URL         string
	Connections int // default 50
	// Requests is how many requests hey sends (default 50,000); wrk runs
	// for Duration (default 10 s) instead: it has no fixed count.
	Requests int
	Duration time.Duration
	Threads  int      // wrk's threads, default 2
	Headers  []string // "Name: value"
	// Status is the status every answer must have for hey (0: any 2xx or
	// 3xx). wrk tells only 2xx and 3xx from the rest.
	Status int
}

func (o Options) connections() int {
	if o.Connections <= 0 {
		return 50
	}
	return o.Connections
}

// tool finds a load tool: the environment variable env, else name on
// PATH.
func tool(env, name, install string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH nor in %s: %s", name, env, install)
	}
	return p, nil
}

// run runs a load tool and measures this process's CPU meanwhile.
func run(ctx context.Context, path string, args ...string) ([]byte, time.Duration, time.Duration, error) {
	cpu0, start := ProcessCPU(), time.Now()
	out, err := exec.CommandContext(ctx, path, args...).CombinedOutput()
	elapsed, cpu := time.Since(start), ProcessCPU()-cpu0
	if err != nil {
		return out, 0, 0, fmt.Errorf("%s: %w\n%s", path, err, out)
	}
	return out, elapsed, cpu, nil
}

// Wrk runs wrk (Debian's package "wrk"; DISPATCH_WRK names another) for
// Duration over Connections connections, with --latency. It fails on
// output it does not understand.
func Wrk(ctx context.Context, o Options) (Result, error) {
	path, err := tool("DISPATCH_WRK", "wrk", "apt-get install wrk")
	if err != nil {
		return Result{}, err
	}
	d := o.Duration
	if d <= 0 {
		d = 10 * time.Second
	}
	threads := o.Threads
	if threads <= 0 {
		threads = 2
	}
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(o.connections()),
		"-d" + strconv.Itoa(int(d.Round(time.Second).Seconds())) + "s", "--latency"}
	for _, h := range o.Headers {
		args = append(args, "-H", h)
	}
	out, elapsed, cpu, err := run(ctx, path, append(args, o.URL)...)
	if err != nil {
		return Result{}, err
	}
	r, err := parseWrk(out)
	r.Elapsed, r.CPU = elapsed, cpu
	return r, err
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in ([0-9.]+)(us|ms|s|m)\b`)
	wrkRate     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP50      = regexp.MustCompile(`\n\s+50%\s+([0-9.]+)(us|ms|s|m)\b`)
	wrkP99      = regexp.MustCompile(`\n\s+99%\s+([0-9.]+)(us|ms|s|m)\b`)
	wrkNon23    = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// parseWrk reads wrk's report (with --latency).
func parseWrk(out []byte) (Result, error) {
	req, rate, p50, p99 := wrkRequests.FindSubmatch(out), wrkRate.FindSubmatch(out), wrkP50.FindSubmatch(out), wrkP99.FindSubmatch(out)
	if req == nil || rate == nil || p50 == nil || p99 == nil {
		return Result{Output: out}, fmt.Errorf("wrk's report not understood (was --latency given?):\n%s", out)
	}
	r := Result{Output: out}
	r.Requests, _ = strconv.ParseInt(string(req[1]), 10, 64)
	r.Rate, _ = strconv.ParseFloat(string(rate[1]), 64)
	r.P50, r.P99 = duration(p50[1], p50[2]), duration(p99[1], p99[2])
	if m := wrkNon23.FindSubmatch(out); m != nil {
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		r.Failed += n
		r.Requests -= n
	}
	if m := wrkSocket.FindSubmatch(out); m != nil {
		for _, g := range m[1:] {
			n, _ := strconv.ParseInt(string(g), 10, 64)
			r.Failed += n
		}
	}
	return r, nil
}

func duration(num, unit []byte) time.Duration {
	v, _ := strconv.ParseFloat(string(num), 64)
	scale := map[string]float64{"us": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9}[string(unit)]
	return time.Duration(v * scale)
}

// Hey runs hey (GOBIN=/tmp/bin go install github.com/rakyll/hey@latest;
// DISPATCH_HEY names it) for Requests requests over Connections
// connections, redirects not followed. hey is a heavy client: on a small
// machine it takes CPU from the server and lengthens the tail; wrk does
// not as much.
func Hey(ctx context.Context, o Options) (Result, error) {
	path, err := tool("DISPATCH_HEY", "hey", "GOBIN=/tmp/bin go install github.com/rakyll/hey@latest, then DISPATCH_HEY=/tmp/bin/hey")
	if err != nil {
		return Result{}, err
	}
	n := o.Requests
	if n <= 0 {
		n = 50_000
	}
	// hey sends at least one request per connection.
	args := []string{"-n", strconv.Itoa(max(n, o.connections())), "-c", strconv.Itoa(o.connections()), "-disable-redirects"}
	for _, h := range o.Headers {
		args = append(args, "-H", h)
	}
	out, elapsed, cpu, err := run(ctx, path, append(args, o.URL)...)
	if err != nil {
		return Result{}, err
	}
	r, err := parseHey(out, o.Status)
	r.Elapsed, r.CPU = elapsed, cpu
	return r, err
}

var (
	heyRate   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	heyP50    = regexp.MustCompile(`50%+ in ([0-9.]+) secs`)
	heyP99    = regexp.MustCompile(`99%+ in ([0-9.]+) secs`)
	heyStatus = regexp.MustCompile(`\[(\d{3})\]\s+(\d+) responses`)
	heyErrors = regexp.MustCompile(`(?m)^\s+\[(\d+)\]\s+\S`)
)

// parseHey reads hey's report; answers of another status than want (any
// 2xx or 3xx when 0) and errors count as failed.
func parseHey(out []byte, want int) (Result, error) {
	rate, p50, p99 := heyRate.FindSubmatch(out), heyP50.FindSubmatch(out), heyP99.FindSubmatch(out)
	if rate == nil || p50 == nil || p99 == nil {
		return Result{Output: out}, errors.New("hey's report not understood (too few requests for percentiles?):\n" + string(out))
	}
	r := Result{Output: out}
	r.Rate, _ = strconv.ParseFloat(string(rate[1]), 64)
	r.P50, r.P99 = duration(p50[1], []byte("s")), duration(p99[1], []byte("s"))
	for _, m := range heyStatus.FindAllSubmatch(out, -1) {
		code, _ := strconv.Atoi(string(m[1]))
		n, _ := strconv.ParseInt(string(m[2]), 10, 64)
		if code == want || want == 0 && code >= 200 && code < 400 {
			r.Requests += n
		} else {
			r.Failed += n
		}
	}
	// Errors are listed after "Error distribution:", each with its count.
	if i := regexp.MustCompile(`Error distribution:`).FindIndex(out); i != nil {
		for _, m := range heyErrors.FindAllSubmatch(out[i[1]:], -1) {
			n, _ := strconv.ParseInt(string(m[1]), 10, 64)
			r.Failed += n
		}
	}
	return r, nil
}

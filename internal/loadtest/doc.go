// Package loadtest drives the HTTP load tests of docs/benchmarks.md: wrk
// and hey in their own processes, and the in-process loop of concurrent
// clients that the web benchmarks share. Each returns the same Result
// (rate, percentiles, failures) and the CPU this process spent serving,
// per request, which is far steadier than latency on a shared machine.
// Benchmarks only: nothing in the binary imports it.
package loadtest

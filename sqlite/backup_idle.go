package sqlite

import "runtime"

// onIdleThread runs f on an OS thread of its own, given the lowest CPU and
// I/O priority the system allows without privileges (see
// lowerThreadPriority), and returns what f returns. The thread is never
// unlocked, so the Go runtime ends it with f's goroutine instead of
// handing a demoted thread to other work. The SQLite calls f makes run on
// that thread because mattn/go-sqlite3 steps queries, Raw callbacks and
// the backup API on the calling goroutine (Exec with a cancellable context
// is the exception: f's statements that must stay demoted use Query or
// Raw).
func onIdleThread[T any](f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		lowerThreadPriority()
		v, err := f()
		ch <- result{v, err}
	}()
	r := <-ch
	return r.v, r.err
}

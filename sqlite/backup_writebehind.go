package sqlite

import (
	"os"
	"time"
)

// writeBehind hands the disk a long copy's pages while the copy goes on.
// The kernel writes back a file whose pages have been dirty for longer
// than vm.dirty_expire_centisecs (30 s) by itself, and then all of that
// file's dirty pages at once, at normal I/O priority: a copy that runs
// longer than that (on a busy machine, where the backup's idle thread gets
// little CPU) put up to a gigabyte in the disk's queue ahead of every fsync
// of the live database, the stall copyInto's paced write-out exists to
// avoid. Once the copy has run for two thirds of the expiry, each step
// starts writing out the next writeBehindMax bytes of what the copy has
// written (a step copies an eighth of that, so the backlog is gone well
// before the expiry), from the backup's thread, so at its idle I/O
// priority (which the mq-deadline and BFQ I/O schedulers serve after
// everyone else's), and what the kernel finds dirty at the expiry is a
// step's worth. It starts the writes and does not wait for them: the copy,
// which holds the live database's snapshot, is not slowed by the disk.
//
// It starts that late because writing out costs CPU and disk time whenever
// it happens: a copy that ends sooner (the usual case) leaves it all to
// writeOut, after the snapshot, and a send that ends before then is not
// slowed by it at all (docs/benchmarks.md).
// writeBehindMax is the most one step of the copy starts writing out:
// handed all at once, the backlog would fill the disk's queue.
const writeBehindMax = 8 << 20

type writeBehind struct {
	after time.Duration // how long the copy runs before the write-behind starts
	began time.Time
	now   func() time.Time
	size  func() (int64, error)    // how far the copy's file is written
	start func(off, n int64) error // starts writing out [off, off+n)
	done  int64                    // bytes already started
}

// newWriteBehind returns the write-behind of the copy in f, starting now,
// or nil where the kernel's dirty page expiry or the means to start a
// write-out are unknown.
func newWriteBehind(f *os.File) *writeBehind {
	expiry, ok := dirtyExpiry()
	if !ok {
		return nil
	}
	return &writeBehind{
		after: expiry * 2 / 3,
		began: time.Now(),
		now:   time.Now,
		size:  func() (int64, error) { st, err := f.Stat(); return st.Size(), err },
		start: func(off, n int64) error { return startWriteOut(f, off, n) },
	}
}

// step starts writing out up to writeBehindMax more bytes of what the copy
// has written, once it has run for after. copyPages calls it after each
// step.
func (w *writeBehind) step() error {
	if w.now().Sub(w.began) < w.after {
		return nil
	}
	n, err := w.size()
	if err != nil {
		return err
	}
	if n <= w.done {
		return nil
	}
	n = min(n, w.done+writeBehindMax)
	if err := w.start(w.done, n-w.done); err != nil {
		return err
	}
	w.done = n
	return nil
}

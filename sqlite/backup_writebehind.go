package sqlite

import (
	"os"
	"time"
)

// writeBehind hands the disk the pages of a copy that have sat in the page
// cache for age, while the copy goes on. The kernel writes back any dirty
// page older than vm.dirty_expire_centisecs (30 s) by itself, all of them
// at once and at normal I/O priority: a copy that runs longer than that
// (on a busy machine, where the backup's idle thread gets little CPU) would
// put hundreds of megabytes in the disk's queue ahead of every fsync of the
// live database, the stall copyInto's paced write-out exists to avoid.
// Started here, from the backup's thread, the same pages go out a step at a
// time, at its idle I/O priority, and before the kernel's deadline. It
// starts the writes and does not wait for them, so that the copy, which
// holds the live database's snapshot, is not slowed by the disk.
type writeBehind struct {
	age   time.Duration
	now   func() time.Time
	size  func() (int64, error)    // how far the copy's file is written
	start func(off, n int64) error // starts writing out [off, off+n)
	marks []sizeAt                 // sizes seen, oldest first
	done  int64                    // bytes already started
}

type sizeAt struct {
	size int64
	at   time.Time
}

// newWriteBehind returns the write-behind of the copy in f, or nil where
// the kernel's dirty page expiry or the means to start a write-out are
// unknown.
func newWriteBehind(f *os.File) *writeBehind {
	age, ok := dirtyExpiry()
	if !ok {
		return nil
	}
	return &writeBehind{
		// Two thirds of the expiry: the kernel's flusher wakes every
		// 5 s (vm.dirty_writeback_centisecs) and takes what has expired.
		age:  age * 2 / 3,
		now:  time.Now,
		size: func() (int64, error) { st, err := f.Stat(); return st.Size(), err },
		start: func(off, n int64) error {
			return startWriteOut(f, off, n)
		},
	}
}

// step records how far the copy is and starts writing out what was
// written at least age ago. copyPages calls it after each step.
func (w *writeBehind) step() error {
	n, err := w.size()
	if err != nil {
		return err
	}
	now := w.now()
	w.marks = append(w.marks, sizeAt{n, now})
	old := 0
	for old < len(w.marks) && now.Sub(w.marks[old].at) >= w.age {
		old++
	}
	if old == 0 {
		return nil
	}
	upto := w.marks[old-1].size
	w.marks = w.marks[old:]
	if upto <= w.done {
		return nil
	}
	if err := w.start(w.done, upto-w.done); err != nil {
		return err
	}
	w.done = upto
	return nil
}

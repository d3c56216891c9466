package sqlite

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeback bounds the dirty pages of a file being written: each step
// writes out what the steps before wrote and waits until the disk has it.
// The writer then goes no faster than the disk takes its data, and never
// has more than one step's worth (1 MiB) queued for the disk, so a small
// fsync from another process (a one-click commit, a send's checkpoint)
// queues behind at most that. Pipelining the steps (start one, wait for
// the one before) was no faster here, the disk being the limit, and left
// twice as much in the queue.
type writeback struct {
	f *os.File
}

func (w *writeback) step() error {
	return unix.SyncFileRange(int(w.f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
}

// dropCache asks the kernel to drop the file's cached pages: a backup is
// not read again soon, and on a small machine its gigabytes would push the
// live database's pages out of the cache. The file must be synced first:
// dirty pages are not dropped.
func dropCache(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

package sqlite

import (
	"context"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// writeOutChunk is how much of the copy writeOut hands the disk at a time.
const writeOutChunk = 1 << 20

// writeOut writes the copy in f to the disk a megabyte at a time, waiting
// for each before starting the next, and no faster than rate bytes a
// second (0: no cap). Left to the kernel, the copy would go to the disk
// in bursts of hundreds of megabytes (and all that is left at the final
// fsync), and every fsync of the live database (a one-click commit, a
// send's checkpoint) would queue behind them; this way it queues behind
// a megabyte at most.
func writeOut(ctx context.Context, f *os.File, rate int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	fd := int(f.Fd())
	start := time.Now()
	for off := int64(0); off < st.Size(); off += writeOutChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := unix.SyncFileRange(fd, off, writeOutChunk, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER); err != nil {
			return err
		}
		if err := pace(ctx, off+writeOutChunk, start, rate); err != nil {
			return err
		}
	}
	return nil
}

// dropCache asks the kernel to drop the file's cached pages: a backup is
// not read again soon, and on a small machine its gigabytes would push the
// live database's pages out of the cache. The file must be synced first:
// dirty pages are not dropped.
func dropCache(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// startWriteOut starts writing the dirty pages of f in [off, off+n) to the
// disk, and does not wait for them.
func startWriteOut(f *os.File, off, n int64) error {
	return unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// dirtyExpiry is vm.dirty_expire_centisecs: how old a dirty page gets
// before the kernel writes it back by itself.
func dirtyExpiry() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/sys/vm/dirty_expire_centisecs")
	if err != nil {
		return 0, false
	}
	cs, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || cs <= 0 {
		return 0, false
	}
	return time.Duration(cs) * 10 * time.Millisecond, true
}

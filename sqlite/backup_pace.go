package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/dispatchhq/dispatch/internal/ctxtime"
)

// busyPace slows a copy while something else writes the live database.
// The copy runs on an idle thread, so it only ever gets CPU the send and
// serve leave; but on a small machine that still slows a send (shared
// caches, the kernel's work for the copy's gigabyte of new page cache):
// on 2 cores a copy at full speed slowed a send by a median 18.6% (17
// runs), one held to 25 MB/s while the send wrote by 15.4%, one held to
// 10 MB/s not at all (docs/benchmarks.md). So while the WAL grows by
// busyWALRate or more between two steps (the copy's snapshot keeps it from
// restarting, so it only grows, by what others write), each step takes at
// least its share of rate. On a quiet database, or one that only serve's
// unsubscribes and page views write, the copy goes at full speed.
//
// A slower copy holds its snapshot longer, and the WAL grows behind it by
// everything written meanwhile, which costs every writer too (each commit
// appends to a growing file; each page read looks through more of the
// WAL's index). So once the WAL has grown by busyWALMax since the copy
// began, the copy stops yielding and ends as soon as it can.
type busyPace struct {
	rate    int64 // bytes a second while the database is written
	step    int64 // bytes one step copies
	most    int64 // growth of the WAL past which the copy stops yielding
	written int64 // growth of the WAL, in bytes a second, that is busy
	walSize func() (int64, bool)
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	first    int64 // the WAL's size at the copy's start
	last     int64
	lastOK   bool
	lastAt   time.Time
	stepFrom time.Time
}

const (
	// busyWALMax is how much the WAL may grow behind a copy that yields.
	busyWALMax = 256 << 20
	// busyWALRate is the WAL's growth that makes a copy yield. A send of
	// the benchmark's briefing grows it by about 10 MB/s; serve, answering
	// a one-click unsubscribe every 20 ms, by far less, and a copy that
	// yielded to any change of the WAL could keep crawling for minutes
	// after the send had ended (128 s instead of 27 s for 1.2 GB).
	busyWALRate = 4 << 20
)

// newCopyPace returns the pace of a copy of db, the database at src, in
// steps of backupStepPages pages, or nil when rate is 0.
func newCopyPace(ctx context.Context, db *sql.DB, src string, rate int64) (*busyPace, error) {
	if rate <= 0 {
		return nil, nil
	}
	var pageSize int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return nil, fmt.Errorf("read the page size: %w", err)
	}
	return newBusyPace(src, rate, backupStepPages*pageSize), nil
}

// newBusyPace returns the pace of a copy of the database at src, step
// bytes a step, or nil when rate is 0.
func newBusyPace(src string, rate, step int64) *busyPace {
	if rate <= 0 {
		return nil
	}
	wal := src + "-wal"
	p := &busyPace{
		rate:    rate,
		step:    step,
		most:    busyWALMax,
		written: busyWALRate,
		walSize: func() (int64, bool) {
			st, err := os.Stat(wal)
			if err != nil {
				return 0, false
			}
			return st.Size(), true
		},
		now:   time.Now,
		sleep: ctxtime.Sleep,
	}
	p.last, p.lastOK = p.walSize()
	p.first = p.last
	p.lastAt = p.now()
	p.stepFrom = p.lastAt
	return p
}

// after is called after each step of the copy: if the WAL grew by written
// a second or more since the last step, it waits out the rest of the
// step's share of rate.
func (p *busyPace) after(ctx context.Context) error {
	cur, ok := p.walSize()
	at := p.now()
	grew := cur - p.last
	busy := ok && p.lastOK && grew > 0 && float64(grew) >= float64(p.written)*at.Sub(p.lastAt).Seconds() &&
		cur-p.first < p.most
	p.last, p.lastOK, p.lastAt = cur, ok, at
	if busy {
		share := time.Duration(float64(p.step) / float64(p.rate) * float64(time.Second))
		if wait := share - p.now().Sub(p.stepFrom); wait > 0 {
			if err := p.sleep(ctx, wait); err != nil {
				return err
			}
		}
	}
	p.stepFrom = p.now()
	return nil
}

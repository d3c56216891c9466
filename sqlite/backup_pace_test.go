package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestBusyPaceWaitsOnlyWhileTheWALGrows steps a pace of 1 MB/s over
// 100 KB steps (a share of 100 ms each), yielding to a WAL that grows by
// 100 KB/s or more until it has grown by 1 MiB, with a clock, a WAL and a
// sleep the test controls: a step during which the WAL grew that fast is
// stretched to its share; one during which it did not grow, or grew
// slower, is not, and neither is a step that took its share already or
// one after the WAL grew by the most.
func TestBusyPaceWaitsOnlyWhileTheWALGrows(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name  string
		took  time.Duration // the step's own time
		walTo int64         // the WAL's size after the step
		want  time.Duration // slept after it
	}{
		{"quiet", 10 * time.Millisecond, 0, 0},
		{"written", 10 * time.Millisecond, 4096, 90 * time.Millisecond},
		// 40 KB over the 90 ms slept and the 150 ms of the step.
		{"written, a slow step", 150 * time.Millisecond, 45056, 0},
		{"quiet again", 10 * time.Millisecond, 45056, 0},
		// 512 bytes in 10 ms: 51 KB/s, under the 100 KB/s that is busy.
		{"a trickle", 10 * time.Millisecond, 45568, 0},
		{"written again", 30 * time.Millisecond, 49664, 70 * time.Millisecond},
		{"written to just under the most", 10 * time.Millisecond, 1<<20 - 1, 90 * time.Millisecond},
		{"written past the most", 10 * time.Millisecond, 1 << 20, 0},
	}
	now := t0
	var wal int64
	var slept time.Duration
	p := &busyPace{
		rate:    1_000_000,
		step:    100_000,
		most:    1 << 20,
		written: 100_000,
		walSize: func() (int64, bool) { return wal, true },
		now:     func() time.Time { return now },
		sleep:   func(_ context.Context, d time.Duration) error { slept += d; now = now.Add(d); return nil },
	}
	p.last, p.lastOK, p.lastAt, p.stepFrom = 0, true, now, now
	for _, s := range steps {
		now, wal, slept = now.Add(s.took), s.walTo, 0
		if err := p.after(context.Background()); err != nil {
			t.Fatal(err)
		}
		if slept != s.want {
			t.Errorf("%s: slept %s; want %s", s.name, slept, s.want)
		}
	}
}

// TestBusyPaceOffWithoutARate: no rate, no pace.
func TestBusyPaceOffWithoutARate(t *testing.T) {
	if p := newBusyPace("/nonexistent/dispatch.db", 0, 1<<20); p != nil {
		t.Errorf("newBusyPace with rate 0 = %+v; want nil", p)
	}
}

// TestBackupSlowsWhileTheDatabaseIsWritten backs up a 3 MB database while
// another connection keeps inserting rows of 64 KB, over busyWALRate even
// with the race detector on a loaded machine: at 2 MB/s while busy, the
// copy's first two 1 MiB steps each take at least half a second. (With
// rows of 8 KB, a copy started before the writer, and the WAL as the
// store left it, a CI run saw the copy end in 0.86 s, and 0.05 s here.)
func TestBackupSlowsWhileTheDatabaseIsWritten(t *testing.T) {
	ctx := context.Background()
	s, dir := paddedStore(t, 700, 3900)
	wctx, stop := context.WithCancel(ctx)
	// The pace sees the WAL grow by its file's size, which stays put while
	// writes refill a WAL that a checkpoint restarted: here it starts
	// empty. And the copy starts once the writer is going: a copy that
	// began first could end before the writer's first rows.
	if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	writing := make(chan struct{})
	go func() {
		for n := 0; wctx.Err() == nil; n++ {
			if _, err := s.db.ExecContext(ctx, `INSERT INTO pad VALUES (randomblob(64000))`); err != nil {
				close(writing)
				done <- err
				return
			}
			if n == 4 {
				close(writing)
			}
		}
		done <- nil
	}()
	<-writing
	info, err := Backup(ctx, s.Path(), filepath.Join(dir, "paced.db"), BackupOptions{BusyBytesPerSecond: 2_000_000})
	stop()
	if werr := <-done; werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes < 3<<20 {
		t.Fatalf("the database is %d bytes; the test needs over 3 MiB", info.Bytes)
	}
	if min := 2 * float64(backupStepPages*4096) / 2_000_000; info.Seconds < min {
		t.Errorf("a backup paced at 2 MB/s beside a writer took %.2fs; want at least %.2fs", info.Seconds, min)
	}
}

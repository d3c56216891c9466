package sqlite

import (
	"fmt"
	"testing"
	"time"
)

// TestWriteBehindStartsAfterItsDelay steps a write-behind that starts after
// 10 s, with a clock and a file size the test sets: before 10 s no step
// starts a write-out; from then on each step starts writing out the next
// part of the file not started yet, at most writeBehindMax bytes, once.
func TestWriteBehindStartsAfterItsDelay(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	const most = writeBehindMax
	steps := []struct {
		at   time.Duration // since the copy began
		size int64         // of the file after the step
		want string        // ranges started by the step
	}{
		{time.Second, 100, ""},
		{9 * time.Second, 200, ""},
		{10 * time.Second, 300, "[0,300) "}, // everything so far
		{11 * time.Second, 400, "[300,400) "},
		{12 * time.Second, 400, ""}, // the file did not grow
		{40 * time.Second, 650, "[400,650) "},
		{41 * time.Second, 650 + 2*most, fmt.Sprintf("[650,%d) ", 650+most)},            // no more than most
		{42 * time.Second, 650 + 2*most, fmt.Sprintf("[%d,%d) ", 650+most, 650+2*most)}, // the rest
	}
	var now time.Time
	var size int64
	var started string
	w := &writeBehind{
		after: 10 * time.Second,
		began: t0,
		now:   func() time.Time { return now },
		size:  func() (int64, error) { return size, nil },
		start: func(off, n int64) error { started += fmt.Sprintf("[%d,%d) ", off, off+n); return nil },
	}
	for _, s := range steps {
		now, size, started = t0.Add(s.at), s.size, ""
		if err := w.step(); err != nil {
			t.Fatal(err)
		}
		if started != s.want {
			t.Errorf("step at %s (file at %d bytes) started %q; want %q", s.at, s.size, started, s.want)
		}
	}
}

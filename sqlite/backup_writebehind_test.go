package sqlite

import (
	"fmt"
	"testing"
	"time"
)

// TestWriteBehindStartsWhatIsOlderThanAge steps a write-behind of age 20 s
// with a clock and a file size the test sets: each step starts writing out
// exactly the part of the file that was written 20 s or more ago and has
// not been started yet, once.
func TestWriteBehindStartsWhatIsOlderThanAge(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		at   time.Duration // since t0
		size int64         // of the file after the step
		want string        // ranges started by the step
	}{
		{0, 100, ""},
		{10 * time.Second, 200, ""},
		{19 * time.Second, 300, ""},
		{20 * time.Second, 400, "[0,100) "},   // the first step is 20 s old
		{21 * time.Second, 500, ""},           // nothing new is 20 s old
		{35 * time.Second, 600, "[100,200) "}, // the step at 10 s; 19 s is 16 s old
		{60 * time.Second, 600, "[200,600) "}, // up to the step at 35 s
		{61 * time.Second, 600, ""},
		{90 * time.Second, 650, ""}, // the file did not grow in the 20 s before
		{120 * time.Second, 650, "[600,650) "},
	}
	var now time.Time
	var size int64
	var started string
	w := &writeBehind{
		age:   20 * time.Second,
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
	if len(w.marks) > 1 {
		t.Errorf("%d sizes kept after the last step; want 1: the ones started are not dropped", len(w.marks))
	}
}

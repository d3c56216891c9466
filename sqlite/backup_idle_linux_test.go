package sqlite

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// threadNice reads the calling thread's nice value from /proc.
func threadNice(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which ends at the last ')': state is
	// field 3 of stat(5), nice is field 19.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBackupThreadIsDemotedAndTheRestIsNot(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadNice(t)
	got, err := onIdleThread(func() (int, error) { return threadNice(t), nil })
	if err != nil {
		t.Fatal(err)
	}
	if got != 19 {
		t.Errorf("the backup's thread runs at nice %d, want 19", got)
	}
	if after := threadNice(t); after != before {
		t.Errorf("the caller's thread went from nice %d to %d", before, after)
	}
}

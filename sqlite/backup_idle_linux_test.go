package sqlite

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadNice reads the calling thread's nice value and scheduling policy
// from /proc.
func threadNice(t *testing.T) (nice, policy int) {
	t.Helper()
	b, err := os.ReadFile("/proc/thread-self/stat")
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which ends at the last ')': state is
	// field 3 of stat(5), nice is field 19, policy field 41.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	nice, err = strconv.Atoi(f[19-3])
	if err != nil {
		t.Fatal(err)
	}
	policy, err = strconv.Atoi(f[41-3])
	if err != nil {
		t.Fatal(err)
	}
	return nice, policy
}

func TestBackupThreadIsDemotedAndTheRestIsNot(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, beforePolicy := threadNice(t)
	got, err := onIdleThread(func() ([2]int, error) {
		n, p := threadNice(t)
		return [2]int{n, p}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != [2]int{19, unix.SCHED_IDLE} {
		t.Errorf("the backup's thread runs at nice %d, policy %d; want 19, SCHED_IDLE (%d)", got[0], got[1], unix.SCHED_IDLE)
	}
	if after, afterPolicy := threadNice(t); after != before || afterPolicy != beforePolicy {
		t.Errorf("the caller's thread went from nice %d, policy %d to %d, %d", before, beforePolicy, after, afterPolicy)
	}
}

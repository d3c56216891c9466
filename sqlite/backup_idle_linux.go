package sqlite

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// lowerThreadPriority puts the calling thread in the SCHED_IDLE class, at
// nice 19, with the idle I/O class. On Linux all three are per thread, so
// the rest of the process (a send, the one-click handler) keeps its
// priority. SCHED_IDLE is what keeps the backup out of a send's way: a
// nice-19 thread still keeps the CPU for the rest of its slice (a few ms)
// when a sender's thread wakes from a round trip, many times a message,
// while a SCHED_IDLE one is preempted by any waking thread at once.
// Failures are ignored: a backup at normal priority is still a correct
// backup.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	_ = unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE, Nice: 19}, 0)
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
	const (
		ioprioWhoProcess = 1
		ioprioClassIdle  = 3
		ioprioClassShift = 13
	)
	_, _, _ = syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), ioprioClassIdle<<ioprioClassShift)
}

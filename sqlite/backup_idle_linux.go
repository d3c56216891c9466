package sqlite

import "syscall"

// lowerThreadPriority sets the calling thread's nice value to 19 and its
// I/O class to idle. On Linux both are per thread, so the rest of the
// process (a send, the one-click handler) keeps its priority. Failures are
// ignored: a backup at normal priority is still a correct backup.
func lowerThreadPriority() {
	tid := syscall.Gettid()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
	const (
		ioprioWhoProcess = 1
		ioprioClassIdle  = 3
		ioprioClassShift = 13
	)
	_, _, _ = syscall.Syscall(syscall.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), ioprioClassIdle<<ioprioClassShift)
}

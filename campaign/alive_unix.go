//go:build unix

package campaign

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with this pid exists on this
// machine. Signal 0 checks without signalling; EPERM means it exists but
// belongs to someone else.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

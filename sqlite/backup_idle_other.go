//go:build !linux

package sqlite

// lowerThreadPriority does nothing where priorities are not per thread:
// lowering the whole process would slow the send it shares it with.
func lowerThreadPriority() {}

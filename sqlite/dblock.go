package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
)

// ErrInUse is returned when another Dispatch process has the database open.
var ErrInUse = errors.New("the database is in use by another dispatch process (serve, send, ...): stop it first")

// lockPath is the lock file beside the database. Every Store holds a shared
// flock on it while open; restore takes it exclusively, so it cannot swap
// the file under a running serve or send. A separate file, not the
// database itself: closing any descriptor of the database would drop
// SQLite's own POSIX locks in this process.
func lockPath(dbPath string) string { return dbPath + ".lock" }

// lockDB takes the database's lock file, shared or exclusive, without
// waiting. It returns nil, nil for paths that are not plain files.
func lockDB(dbPath string, exclusive bool) (*os.File, error) {
	if dbPath == ":memory:" || strings.HasPrefix(dbPath, "file:") {
		return nil, nil
	}
	f, err := os.OpenFile(lockPath(dbPath), os.O_RDWR|os.O_CREATE, dbFileMode)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrInUse
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath(dbPath), err)
	}
	return f, nil
}

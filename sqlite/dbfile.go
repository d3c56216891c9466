package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// dbFileMode is the mode of a database Dispatch creates: the file holds
// every subscriber's address and name, so only its owner may read it.
const dbFileMode = 0o600

// createPrivate creates the database file with dbFileMode before SQLite
// opens it; SQLite itself would create it 0644 less the umask. An existing
// file keeps its mode: an admin may have shared it with a group on purpose.
func createPrivate(path string) error {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, dbFileMode)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", path, err)
	}
	// The umask may have taken bits away (0400 is unusable); set the mode
	// exactly.
	err = f.Chmod(dbFileMode)
	return errors.Join(err, f.Close())
}

// restrictSidecars makes the -wal and -shm files no more readable than the
// database: they hold the same pages. SQLite gives them the database's
// mode when it creates them; this also tightens ones left by an older
// version or created under another mode.
func restrictSidecars(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return nil // not a plain file (":memory:", a URI)
	}
	dbMode := st.Mode().Perm()
	for _, side := range []string{path + "-wal", path + "-shm"} {
		sst, err := os.Stat(side)
		if err != nil {
			continue
		}
		if m := sst.Mode().Perm(); m&^dbMode != 0 {
			if err := os.Chmod(side, m&dbMode); err != nil {
				return fmt.Errorf("restrict %s: %w", side, err)
			}
		}
	}
	return nil
}

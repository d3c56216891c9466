package sqlitetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/dispatchhq/dispatch/sqlite"
)

// Open opens a new store in a file in tb's temporary directory and closes
// it when the test ends.
func Open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return OpenFile(tb, filepath.Join(tb.TempDir(), "dispatch.db"))
}

// OpenFile opens (creating if needed) the store at path and closes it when
// the test ends.
func OpenFile(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Ways conn opens a file.
const (
	// live reads a store that is open: WAL mode lets it read while the
	// store writes.
	live = "_busy_timeout=10000"
	// readOnly reads a file no process has open.
	readOnly = "mode=ro"
	// immutable reads a backup as it is, without a WAL or locks.
	immutable = "mode=ro&immutable=1"
)

// conn opens a second connection to a database file, for reads. The caller
// closes it: tests poll with some readers, so it must not outlive the call.
func conn(tb testing.TB, path, how string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?"+how)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

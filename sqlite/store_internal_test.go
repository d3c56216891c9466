package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// openTestStore opens a new store in a temporary folder for this
// package's white-box tests, closed when the test ends: mustOpen's twin
// on the inside.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "dispatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

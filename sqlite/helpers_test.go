package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/sqlite/sqlitetest"
	"github.com/dispatchhq/dispatch/subscribers"
)

// mustOpen opens a fresh store in a temporary directory with a pinned clock.
func mustOpen(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "dispatch.db"))
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Now = func() time.Time { now = now.Add(time.Millisecond); return now }
	tb.Cleanup(func() { s.Close() })
	return s
}

// mustImport imports a fixture of testdata/import (sqlitetest.Import).
func mustImport(tb testing.TB, s *sqlite.Store, file string, cfg subscribers.ImportConfig) *subscribers.ImportResult {
	tb.Helper()
	return sqlitetest.Import(tb, s, file, cfg)
}

func mustFind(tb testing.TB, s *sqlite.Store, email string) *subscribers.Subscriber {
	tb.Helper()
	return sqlitetest.FindByEmail(tb, s, email)
}

package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
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

func mustImport(tb testing.TB, s *sqlite.Store, file string, cfg subscribers.ImportConfig) *subscribers.ImportResult {
	tb.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "import", file))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if cfg.List == "" {
		cfg.List = "clients"
	}
	res, err := csvimport.Import(context.Background(), s, file, f, cfg)
	if err != nil {
		tb.Fatalf("import %s: %v", file, err)
	}
	return res
}

func mustFind(tb testing.TB, s *sqlite.Store, email string) *subscribers.Subscriber {
	tb.Helper()
	sub, err := s.FindSubscriberByEmail(context.Background(), email)
	if err != nil {
		tb.Fatalf("find %s: %v", email, err)
	}
	return sub
}

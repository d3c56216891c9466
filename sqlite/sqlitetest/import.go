package sqlitetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Import imports the fixture testdata/import/<file> (at the repository's
// root) into s the way `dispatch import` does, into the list "clients"
// unless cfg names one, and fails the test on any error.
func Import(tb testing.TB, s *sqlite.Store, file string, cfg subscribers.ImportConfig) *subscribers.ImportResult {
	tb.Helper()
	f, err := os.Open(filepath.Join(fixtures(tb), file))
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

// FindByEmail returns the subscriber with that address, failing the test
// if there is none.
func FindByEmail(tb testing.TB, s *sqlite.Store, email string) *subscribers.Subscriber {
	tb.Helper()
	sub, err := s.FindSubscriberByEmail(context.Background(), email)
	if err != nil {
		tb.Fatalf("find %s: %v", email, err)
	}
	return sub
}

// fixtures is testdata/import at the repository's root, found from this
// file so that tests in any directory reach it.
func fixtures(tb testing.TB) string {
	tb.Helper()
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("sqlitetest: cannot locate the import fixtures")
	}
	return filepath.Join(filepath.Dir(self), "..", "..", "testdata", "import")
}

package console_test

import (
	"context"
	"testing"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/imports"
	"github.com/dispatchhq/dispatch/sqlite"
)

// withImports gives cfg a real import runner over s, a spool in a
// temporary directory (unless cfg has one).
func withImports(t *testing.T, cfg *console.Config, s *sqlite.Store) {
	t.Helper()
	if cfg.Uploads == nil {
		sp, err := imports.NewSpool(t.TempDir(), console.DefaultMaxUploadMB<<20)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Uploads = sp
	}
	r, err := imports.New(context.Background(), s, imports.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	cfg.Imports = r
}

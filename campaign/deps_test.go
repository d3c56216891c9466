package campaign_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps the use case on interfaces: the store and the
// configuration are wired by cmd/dispatch, so the console can call the
// same code with its own wiring.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "campaign", map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "the store arrives as the Store interface",
		"github.com/dispatchhq/dispatch/web":          "the console calls campaign, not the other way round",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
		"github.com/spf13/cobra":                      "no command-line concerns here",
		"github.com/mattn/go-sqlite3":                 "campaign links no database driver",
	})
}

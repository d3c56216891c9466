package imports_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps the runner a library of the console: it reaches
// the database through its Store interface only.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "imports", map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "the store is reached through the Store interface",
		"github.com/mattn/go-sqlite3":                 "the store is reached through the Store interface",
		"net/http":                                    "pages belong to the console",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
	})
}

package csvimport_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps reading files apart from committing rows: the
// rows go to the store through the Store interface, so the console can
// preview a file without a database and sqlite receives parsed rows.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "csvimport", map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "rows are committed through the Store interface",
		"github.com/mattn/go-sqlite3":                 "csvimport knows no database driver",
		"database/sql":                                "csvimport knows no SQL",
		"github.com/dispatchhq/dispatch/imports":      "imports runs csvimport, not the other way round",
		"github.com/dispatchhq/dispatch/console":      "the console calls csvimport, not the other way round",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as an ImportConfig",
	})
}

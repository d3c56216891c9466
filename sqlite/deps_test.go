package sqlite_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps the store to storing: it receives a contact
// file's rows already read (subscribers.ContactRows) and knows nothing of
// CSV, and it serves the use cases without depending on them.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "sqlite", map[string]string{
		"github.com/dispatchhq/dispatch/csvimport":    "reading contact files is csvimport's; the store commits parsed rows",
		"github.com/dispatchhq/dispatch/imports":      "imports uses the store, not the other way round",
		"github.com/dispatchhq/dispatch/console":      "the console uses the store through its Store interface",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as structs",
	})
}

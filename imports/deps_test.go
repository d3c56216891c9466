package imports_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the runner a library of the console: it reaches
// the database through its Store interface only.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	bad := map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "the store is reached through the Store interface",
		"github.com/mattn/go-sqlite3":                 "the store is reached through the Store interface",
		"net/http":                                    "pages belong to the console",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range bad {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("imports imports %s: %s", dep, why)
			}
		}
	}
}

package campaign_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the use case on interfaces: the store and the
// configuration are wired by cmd/dispatch, so the console can call the
// same code with its own wiring.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	bad := map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "the store arrives as the Store interface",
		"github.com/dispatchhq/dispatch/web":          "the console calls campaign, not the other way round",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
		"github.com/spf13/cobra":                      "no command-line concerns here",
		"github.com/mattn/go-sqlite3":                 "campaign links no database driver",
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range bad {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("campaign imports %s: %s", dep, why)
			}
		}
	}
}

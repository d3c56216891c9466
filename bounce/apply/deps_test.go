package apply_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the one bounce application path below its
// readers: the mailbox processor and the web server import it, never the
// other way round, and it reaches the store only through its Store
// interface.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	bad := map[string]string{
		"github.com/dispatchhq/dispatch/web":            "the web server is a reader; it calls this package",
		"github.com/dispatchhq/dispatch/bounce/inbox":   "the mailbox processor is a reader; it calls this package",
		"github.com/dispatchhq/dispatch/bounce/webhook": "webhook verification is a reader's concern",
		"github.com/dispatchhq/dispatch/mailer":         "applying a bounce sends nothing",
		"github.com/dispatchhq/dispatch/sqlite":         "the store is reached through the Store interface",
		"github.com/dispatchhq/dispatch/cmd/dispatch":   "nothing imports cmd",
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range bad {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("bounce/apply imports %s: %s", dep, why)
			}
		}
	}
}

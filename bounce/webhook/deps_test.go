package webhook_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the package on the standard library: the HTTP
// handler that uses it, and the rest of bounce/, must be free to change.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/dispatchhq/dispatch/bounce/webhook" {
			t.Errorf("webhook imports %s; it must import only the standard library", dep)
		}
	}
}

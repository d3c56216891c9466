package webhook_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the package on the standard library plus bounce,
// whose classifier decides every failure the same way wherever it is
// reported (and what bounce itself needs): the HTTP handler that uses
// webhook must be free to change.
func TestDependencies(t *testing.T) {
	deps := func(pkg string) []string {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		return strings.Fields(string(out))
	}
	allowed := map[string]bool{"github.com/dispatchhq/dispatch/bounce/webhook": true}
	for _, dep := range deps("github.com/dispatchhq/dispatch/bounce") {
		allowed[dep] = true
	}
	for _, dep := range deps(".") {
		if !allowed[dep] {
			t.Errorf("webhook imports %s; it must import only the standard library and bounce", dep)
		}
	}
}

package tracking_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the counting rules on the domain and the standard
// library: the store arrives as the Store interface, and web, the console
// and the command can all use them.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "github.com/dispatchhq/dispatch/tracking", dep == "github.com/dispatchhq/dispatch/subscribers":
		case strings.HasPrefix(dep, "golang.org/x/"):
		default:
			t.Errorf("tracking depends on %s; it may import only subscribers and the standard library", dep)
		}
	}
}

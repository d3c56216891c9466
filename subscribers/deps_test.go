package subscribers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the domain pure: it imports only the standard
// library and golang.org/x, so every package that needs a Subscriber or a
// token can have one without linking the database driver (cgo SQLite),
// SMTP or HTTP code.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{if or (not .Standard) (eq .ImportPath "database/sql")}}{{.ImportPath}}{{end}}`, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case dep == "database/sql":
			t.Errorf("subscribers depends on database/sql; storage belongs to sqlite")
		case dep == "github.com/dispatchhq/dispatch/subscribers":
		case strings.HasPrefix(dep, "golang.org/x/"):
		default:
			t.Errorf("subscribers depends on %s; the domain may import only the standard library and golang.org/x", dep)
		}
	}
}

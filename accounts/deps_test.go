package accounts_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies: accounts is domain code. It imports nothing of
// Dispatch's and knows no SQL.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "database/sql" || (strings.HasPrefix(dep, "github.com/dispatchhq/dispatch/") && dep != "github.com/dispatchhq/dispatch/accounts") {
			t.Errorf("accounts imports %s", dep)
		}
	}
}

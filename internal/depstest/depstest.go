// Package depstest checks, from a package's own tests, which packages it
// may not depend on. It is imported by tests only.
package depstest

import (
	"os/exec"
	"strings"
	"testing"
)

// Forbid fails t for every package that the package in the current folder
// (name, as the messages call it) depends on, directly or not, and that is
// one of banned's keys or below one; banned's values say why.
func Forbid(t *testing.T, name string, banned map[string]string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range banned {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("%s imports %s: %s", name, dep, why)
			}
		}
	}
}

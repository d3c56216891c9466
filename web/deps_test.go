package web_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps web away from the send side: it shares only
// subscribers (the domain: tokens, types), bounce/webhook and bounce/apply
// with the rest.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	bad := map[string]string{
		"github.com/dispatchhq/dispatch/mailer":       "the mailer and the web server share only tokens",
		"github.com/dispatchhq/dispatch/templates":    "pages have their own small templates",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/dispatchhq/dispatch/sqlite":       "the store arrives as the Store interface",
		"github.com/mattn/go-sqlite3":                 "the store arrives as the Store interface",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
		"github.com/wneessen/go-mail":                 "no SMTP here",
	}
	for _, dep := range strings.Fields(string(out)) {
		for prefix, why := range bad {
			if dep == prefix || strings.HasPrefix(dep, prefix+"/") {
				t.Errorf("web imports %s: %s", dep, why)
			}
		}
	}
}

package templates_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps the package a leaf: it renders issues and knows
// nothing of storage, SMTP, configuration files or other Dispatch packages.
func TestDependencies(t *testing.T) {
	list := func(args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		return strings.Fields(string(out))
	}
	// database/sql is checked among direct imports only: premailer pulls it
	// in through html2text's table writer, which we never call.
	direct := map[string]string{
		"database/sql": "storage belongs to sqlite",
	}
	for _, dep := range list("-f", `{{join .Imports " "}}`, ".") {
		if reason, ok := direct[dep]; ok {
			t.Errorf("templates imports %s: %s", dep, reason)
		}
	}
	transitive := map[string]string{
		"github.com/mattn/go-sqlite3":  "storage belongs to sqlite",
		"github.com/wneessen/go-mail":  "sending belongs to mailer",
		"github.com/spf13/viper":       "configuration is read only in cmd/dispatch",
		"github.com/spf13/cobra":       "the CLI lives in cmd/dispatch",
		"github.com/chromedp/chromedp": "the browser is for tests only",
	}
	for _, dep := range list("-deps", ".") {
		if reason, ok := transitive[dep]; ok {
			t.Errorf("templates depends on %s: %s", dep, reason)
		}
		if strings.HasPrefix(dep, "github.com/dispatchhq/dispatch/") && dep != "github.com/dispatchhq/dispatch/templates" {
			t.Errorf("templates depends on %s; it must import no other Dispatch package", dep)
		}
	}
}

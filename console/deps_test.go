package console_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps the console a thin layer over the domain: it
// reaches the database through its Store interface, never the store, the
// driver or SQL, and it does not send mail or read configuration.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "console", map[string]string{
		"github.com/dispatchhq/dispatch/sqlite":       "the database is reached through the Store interface",
		"github.com/mattn/go-sqlite3":                 "no SQL in the console",
		"github.com/dispatchhq/dispatch/mailer":       "the console does not send",
		"github.com/dispatchhq/dispatch/campaign":     "sends arrive through the Sending interface",
		"github.com/dispatchhq/dispatch/web":          "the public server and the console share only the domain and internal/httpserve",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
	})
	// database/sql is checked among direct imports only, as templates
	// checks it: the renderer (premailer's html2text table writer) pulls it
	// in without using it.
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "database/sql" || dep == "database/sql/driver" {
			t.Errorf("console imports %s: no SQL in the console", dep)
		}
	}
}

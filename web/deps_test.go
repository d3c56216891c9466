package web_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps web away from the send side: it shares only
// subscribers (the domain: tokens, types), bounce/webhook, bounce/apply and
// tracking (counting clicks) with the rest.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "web", map[string]string{
		"github.com/dispatchhq/dispatch/mailer":       "the mailer and the web server share only tokens",
		"github.com/dispatchhq/dispatch/templates":    "pages have their own small templates",
		"github.com/dispatchhq/dispatch/cmd/dispatch": "nothing imports cmd",
		"github.com/dispatchhq/dispatch/sqlite":       "the store arrives as the Store interface",
		"github.com/mattn/go-sqlite3":                 "the store arrives as the Store interface",
		"github.com/spf13/viper":                      "configuration arrives as a Config struct",
		"github.com/wneessen/go-mail":                 "no SMTP here",
	})
}

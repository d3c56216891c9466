package apply_test

import (
	"testing"

	"github.com/dispatchhq/dispatch/internal/depstest"
)

// TestDependencies keeps the one bounce application path below its
// readers: the mailbox processor and the web server import it, never the
// other way round, and it reaches the store only through its Store
// interface.
func TestDependencies(t *testing.T) {
	depstest.Forbid(t, "bounce/apply", map[string]string{
		"github.com/dispatchhq/dispatch/web":            "the web server is a reader; it calls this package",
		"github.com/dispatchhq/dispatch/bounce/inbox":   "the mailbox processor is a reader; it calls this package",
		"github.com/dispatchhq/dispatch/bounce/webhook": "webhook verification is a reader's concern",
		"github.com/dispatchhq/dispatch/mailer":         "applying a bounce sends nothing",
		"github.com/dispatchhq/dispatch/sqlite":         "the store is reached through the Store interface",
		"github.com/dispatchhq/dispatch/cmd/dispatch":   "nothing imports cmd",
	})
}

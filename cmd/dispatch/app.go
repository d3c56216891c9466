package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
)

// app holds what every command shares: streams, configuration and the
// store, opened on first use and closed when the command ends.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer // escape control characters (termsafe.go)
	// rawStdout and rawStderr are the streams themselves: for data written
	// to be saved (CSV, HTML) and for progress bars.
	rawStdout, rawStderr io.Writer

	configPath string
	verbose    bool
	cfg        Config
	store      *sqlite.Store
	logger     *slog.Logger
	logFormat  string    // serve's --log-format: text (the default) or json; "" for other commands
	cleanup    []func()  // run by close, after the store is closed
	started    time.Time // when this process started: its leases say so
}

// flagBinds maps configuration keys to the global flags that override them.
var flagBinds = map[string]string{"database.path": "db"}

func (a *app) load(cmd *cobra.Command) error {
	cfg, warnings, err := loadConfig(a.configPath, cmd.Flags(), flagBinds)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(a.stderr, "warning:", w)
	}
	a.cfg = cfg
	level := slog.LevelWarn
	if a.verbose {
		level = slog.LevelDebug
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

// createStore opens the database, creating it if there is none. Only the
// commands that put data in (import, quickstart, lists create, subscribers
// add and blocklist) use it.
func (a *app) createStore(ctx context.Context) (*sqlite.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	s, err := sqlite.Open(ctx, a.cfg.Database.Path)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
}

// openStore opens the database only if it is there, which is what every
// command that reads or applies to existing data needs: an empty database
// created in the wrong folder would make them report nothing, and answer
// unsubscribes with "nothing to unsubscribe", while the real one goes
// untouched.
func (a *app) openStore(ctx context.Context) (*sqlite.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	if err := a.requireDatabase(); err != nil {
		return nil, err
	}
	return a.createStore(ctx)
}

// requireDatabase fails with "no database at PATH" when the configured
// database file is not there.
func (a *app) requireDatabase() error {
	path := a.cfg.Database.Path
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		path = absPath(path)
		self := selfCommand()
		return &exitError{code: 1, err: fmt.Errorf("no database at %s: create one with `%s import CONTACTS.csv --list NAME` "+
			"(or try `%s quickstart`), or point --config or --db at the database you meant", path, self, self)}
	}
	return nil
}

// announceStore says which database a long-running or mailing command
// opened, so a wrong --config shows before anything happens.
func (a *app) announceStore(ctx context.Context, s *sqlite.Store) error {
	c, err := s.FindCounts(ctx)
	if err != nil {
		return err
	}
	path := absPath(s.Path())
	if a.logFormat == logFormatJSON {
		// serve --log-format json: every line on stderr is a JSON record.
		a.logger.InfoContext(ctx, "database opened", "path", path, "subscribers", c.Subscribers, "active", c.Active, "lists", c.Lists)
		return nil
	}
	fmt.Fprintf(a.stderr, "Database %s: %s (%d active), %s.\n", path,
		pluralWord(c.Subscribers, "1 subscriber", fmt.Sprintf("%d subscribers", c.Subscribers)), c.Active,
		pluralWord(c.Lists, "1 list", fmt.Sprintf("%d lists", c.Lists)))
	return nil
}

func (a *app) close() {
	if a.store != nil {
		a.store.Close()
		a.store = nil
	}
	for _, f := range a.cleanup {
		f()
	}
	a.cleanup = nil
}

// isTerminal reports whether w is an interactive terminal (progress bars
// and prompts only make sense there).
func isTerminal(w io.Writer) bool {
	if tw, ok := w.(*termWriter); ok {
		w = tw.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

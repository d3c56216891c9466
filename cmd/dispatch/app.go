package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

// app holds what every command shares: streams, configuration and the
// store, opened on first use and closed when the command ends.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	configPath string
	verbose    bool
	cfg        Config
	store      *subscribers.Store
	logger     *slog.Logger
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

func (a *app) openStore(ctx context.Context) (*subscribers.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	s, err := subscribers.Open(ctx, a.cfg.Database.Path)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
}

func (a *app) close() {
	if a.store != nil {
		a.store.Close()
		a.store = nil
	}
}

// isTerminal reports whether w is an interactive terminal (progress bars
// and prompts only make sense there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/subscribers"
)

// importOptions are the flags of import.
type importOptions struct {
	cfg     subscribers.ImportConfig
	asJSON  bool
	delim   string // one character, or an escape such as \t
	mapping string // the --map syntax of subscribers.ParseMapping
	// suppressions is a suppression export to apply instead of contacts.
	suppressions string
	// basis is --basis, the lawful basis of the new subscriptions.
	basis string
}

// importFile imports the CSV file name ("-" for standard input) as o says.
func (a *app) importFile(ctx context.Context, name string, o importOptions) error {
	cfg := o.cfg
	if err := o.settle(&cfg); err != nil {
		return err
	}
	var in io.Reader
	if name == "-" {
		in, name = a.stdin, "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return &exitError{code: 1, err: fmt.Errorf("import: %w", err)}
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			cfg.Size = st.Size()
		}
		in = f
	}
	cfg.Source = "import:" + filepath.Base(name)
	cfg.Limits = a.cfg.Import.limits()
	s, err := a.importStore(ctx, cfg.DryRun)
	if err != nil {
		return err
	}
	progress := newImportProgress(a, cfg.Size)
	cfg.Progress = progress.update
	res, err := csvimport.Import(ctx, s, name, in, cfg)
	progress.done()
	if res == nil {
		return err
	}
	if o.asJSON {
		if perr := printJSON(a.stdout, res); perr != nil {
			return perr
		}
	} else {
		printImportSummary(a.stdout, name, res)
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintf(a.stderr, "Import interrupted after %d rows. Run the same command again to finish: rows already imported are not duplicated.\n", res.Rows)
		return &exitError{code: 130}
	}
	return err
}

// settle checks the flags and puts the delimiter and the mapping into cfg.
func (o importOptions) settle(cfg *subscribers.ImportConfig) error {
	if cfg.List == "" {
		return usageError{errors.New("--list is required: name the list to import into")}
	}
	b, err := subscribers.ParseBasis(o.basis)
	if err != nil {
		return usageError{fmt.Errorf("--basis: %w", err)}
	}
	cfg.Basis = b
	if o.delim != "" {
		r, size := utf8.DecodeRuneInString(unescapeDelim(o.delim))
		if size != len(unescapeDelim(o.delim)) {
			return usageError{fmt.Errorf("--delimiter %q: want a single character", o.delim)}
		}
		cfg.Delimiter = r
	}
	if o.mapping != "" {
		mp, err := subscribers.ParseMapping(o.mapping)
		if err != nil {
			return usageError{fmt.Errorf("--map: %w", err)}
		}
		cfg.Mapping = mp
	}
	return nil
}

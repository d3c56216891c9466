package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func newExportSuppressionsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "export-suppressions [FILE]",
		Short: "Write every suppression (unsubscribes, bounces, complaints, blocks, erasures) to carry across a restore",
		Long: `export-suppressions writes every address that must not be mailed, with its
status, reason, who set it and when: suppressed addresses (unsubscribed,
bounced, complained, blocklisted), unsubscribes from a single list, and
erased people (only the SHA-256 of their address is left, so those entries
have no address and no list). CSV by default, a JSON array with --json; to
standard output without FILE. The file holds addresses: it is written with
mode 0600.

Apply it to another database (a restored backup) with
dispatch import --suppressions FILE.`,
		Example: `  dispatch backup export-suppressions /backups/suppressions.csv
  dispatch backup export-suppressions --json > suppressions.json`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			entries, err := s.ExportSuppressions(cmd.Context())
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if asJSON {
				err = subscribers.WriteSuppressionsJSON(&buf, entries)
			} else {
				err = subscribers.WriteSuppressionsCSV(&buf, entries)
			}
			if err != nil {
				return fmt.Errorf("export suppressions: %w", err)
			}
			summary := a.stdout
			if len(args) == 0 {
				if _, err := a.stdout.Write(buf.Bytes()); err != nil {
					return err
				}
				summary = a.stderr
			} else if err := writePrivateFile(args[0], buf.Bytes()); err != nil {
				return fmt.Errorf("export suppressions: %w", err)
			}
			var addr, list, erased int
			for _, e := range entries {
				switch {
				case e.Erased:
					erased++
				case e.List != "":
					list++
				default:
					addr++
				}
			}
			to := "standard output"
			if len(args) == 1 {
				to = absPath(args[0])
			}
			fmt.Fprintf(summary, "Exported %d suppressions to %s: %d suppressed addresses, %d list unsubscribes, %d erased.\n",
				len(entries), to, addr, list, erased)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "write a JSON array instead of CSV")
	return cmd
}

// writePrivateFile writes data to path through a 0600 temporary file in
// the same folder, renamed into place once synced.
func writePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// importSuppressions is `dispatch import --suppressions FILE`.
func (a *app) importSuppressions(ctx context.Context, name string, asJSON bool) error {
	f, err := os.Open(name)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("import suppressions: %w", err)}
	}
	defer f.Close()
	entries, err := subscribers.ReadSuppressions(name, f)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("import suppressions: %w", err)}
	}
	s, err := a.createStore(ctx)
	if err != nil {
		return err
	}
	res, err := s.ApplySuppressions(ctx, entries, "import:suppressions:"+filepath.Base(name))
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(a.stdout, struct {
			Entries int `json:"entries"`
			sqlite.SuppressionsApplied
		}{len(entries), res})
	}
	fmt.Fprintf(a.stdout, "Applied %d suppressions from %s (nobody is ever reactivated):\n", len(entries), name)
	fmt.Fprintf(a.stdout, "  suppressed         %d   (status raised: active to unsubscribed, unsubscribed to bounced, ...)\n", res.Suppressed)
	fmt.Fprintf(a.stdout, "  list unsubscribed  %d\n", res.ListUnsubscribed)
	fmt.Fprintf(a.stdout, "  added suppressed   %d   (unknown here: added so that no import can add them)\n", res.Created)
	fmt.Fprintf(a.stdout, "  erased again       %d   (erased after this database's backup)\n", res.ErasedAgain)
	fmt.Fprintf(a.stdout, "  erased hashes      %d\n", res.Hashes)
	fmt.Fprintf(a.stdout, "  unchanged          %d   (already suppressed here)\n", res.Unchanged)
	return nil
}

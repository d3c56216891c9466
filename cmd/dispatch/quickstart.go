package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/examples"
	"github.com/dispatchhq/dispatch/subscribers"
)

func newQuickstartCmd(a *app) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "quickstart",
		Short: "Run the whole job on built-in examples, with no setup",
		Long: `Quickstart creates a fresh SQLite database in --dir, imports the example
client list shipped inside the binary into the list "clients", and lists
the result. Nothing outside --dir is touched.`,
		Example: `  dispatch quickstart
  dispatch quickstart --dir /tmp/dispatch-demo`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			dbPath := filepath.Join(dir, "dispatch.db")
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
			}
			s, err := subscribers.Open(ctx, dbPath)
			if err != nil {
				return err
			}
			defer s.Close()
			fmt.Fprintf(a.stdout, "1. Created a fresh database: %s\n", dbPath)

			res, err := s.Import(ctx, "examples/contacts.csv", bytes.NewReader(examples.ContactsCSV),
				subscribers.ImportConfig{List: "clients", Source: "import:examples/contacts.csv"})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "2. Imported the example contacts into list %q: %d added, %d invalid, %d duplicates.\n\n",
				res.List, res.Added, res.InvalidCount, res.Duplicates)
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "   EMAIL\tNAME\tCOMPANY\tSTATUS")
			err = s.FindSubscribers(ctx, subscribers.SubscriberFilter{List: "clients"}, func(sub *subscribers.Subscriber) error {
				_, err := fmt.Fprintf(tw, "   %s\t%s\t%v\t%s\n", sub.Email, sub.Name, sub.Attributes["company"], sub.Status)
				return err
			})
			tw.Flush()
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nNext: dispatch --db %s subscribers list --json\n", dbPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "dispatch-quickstart", "folder for the database and captured mail")
	return cmd
}

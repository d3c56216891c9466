package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
)

func newBackupCmd(a *app) *cobra.Command {
	var (
		asJSON bool
		toDir  string
		keep   int
	)
	cmd := &cobra.Command{
		Use:   "backup FILE | backup --to DIR [--keep N]",
		Short: "Write a checked, consistent copy of the database while serve and send run",
		Long: `backup copies the live database with SQLite's online backup API inside one
read transaction, at the lowest CPU and I/O priority: serve and send keep
writing meanwhile, and go first. While they write heavily (a send or an
import, not serve's unsubscribes), the copy goes no faster than
backup.busy_mb_per_s (10 by default). The copy is then written out to
the disk a megabyte at a time (no faster than backup.max_mb_per_s, when
set), so the live database's own writes never wait behind more than that.
It is written to a temporary name, checked (integrity check, schema
version, row counts), and only then renamed to FILE, with mode 0600.

With --to DIR it writes a dated file (dispatch-20261202T013000Z.db) into DIR
and, with --keep N, deletes the oldest dated backups beyond N.

backup export-suppressions [FILE] writes every suppression to carry across a
restore (see its --help).`,
		Example: `  dispatch backup /backups/dispatch.db
  dispatch backup --to /backups --keep 14 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if toDir != "" {
				return exactArgs(0)(cmd, args)
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if keep != 0 && toDir == "" {
				return usageError{fmt.Errorf("--keep needs --to DIR")}
			}
			if keep < 0 {
				return usageError{fmt.Errorf("--keep must be 0 (keep all) or more, not %d", keep)}
			}
			if err := a.requireDatabase(); err != nil {
				return err
			}
			src := a.cfg.Database.Path
			var (
				info    sqlite.BackupInfo
				removed []string
				err     error
			)
			if toDir != "" {
				info, removed, err = sqlite.RotatedBackup(cmd.Context(), src, toDir, keep, time.Now(), a.cfg.Backup.options())
			} else {
				info, err = sqlite.Backup(cmd.Context(), src, args[0], a.cfg.Backup.options())
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, info)
			}
			c := info.Counts
			fmt.Fprintf(a.stdout, "Backed up %s to %s: %d bytes in %.2fs, integrity ok, schema %s.\n",
				absPath(src), absPath(info.Path), info.Bytes, info.Seconds, info.Schema)
			fmt.Fprintf(a.stdout, "%d subscribers, %d lists, %d campaigns, %d deliveries, %d events.\n",
				c.Subscribers, c.Lists, c.Campaigns, c.Deliveries, c.Events)
			for _, r := range removed {
				fmt.Fprintf(a.stdout, "Removed old backup %s.\n", r)
			}
			return nil
		},
	}
	cmd.AddCommand(newExportSuppressionsCmd(a))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&toDir, "to", "", "write a dated backup into this folder")
	cmd.Flags().IntVar(&keep, "keep", 0, "with --to: keep this many dated backups, deleting older ones (0 keeps all)")
	return cmd
}

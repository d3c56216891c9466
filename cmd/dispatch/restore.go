package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
)

func newRestoreCmd(a *app) *cobra.Command {
	var check, asJSON bool
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Check a backup, or put it in place of the database",
		Long: `restore --check FILE verifies a backup (integrity check, a schema this
dispatch knows, row counts) and changes nothing.

restore FILE verifies the backup the same way, refuses while another dispatch
process (serve, send, ...) has the database open, keeps the current database
as DB.before-restore-TIME, and puts the backup in its place. When the current
database has events newer than the backup (unsubscribes among them would be
lost), it says so and how to carry them across: export them from the file
kept aside (dispatch --db ASIDE backup export-suppressions FILE), then
dispatch import --suppressions FILE.`,
		Example: `  dispatch restore --check /backups/dispatch-20261202T013000Z.db
  dispatch restore /backups/dispatch-20261202T013000Z.db`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if check {
				info, err := sqlite.CheckBackup(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return printJSON(a.stdout, info)
				}
				c := info.Counts
				fmt.Fprintf(a.stdout, "Backup %s is good: integrity ok, schema %s, %d subscribers, %d lists, %d campaigns, %d deliveries, %d events.\n",
					absPath(info.Path), info.Schema, c.Subscribers, c.Lists, c.Campaigns, c.Deliveries, c.Events)
				return nil
			}
			db := a.cfg.Database.Path
			res, err := sqlite.Restore(ctx, args[0], db, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				if err := printJSON(a.stdout, res); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.stdout, "Restored %s to %s (schema %s, %d subscribers, %d events).\n",
					absPath(args[0]), absPath(db), res.Backup.Schema, res.Backup.Counts.Subscribers, res.Backup.Counts.Events)
				if res.Aside != "" {
					fmt.Fprintf(a.stdout, "The database it replaced is kept as %s.\n", absPath(res.Aside))
				}
			}
			if res.CurrentUnreadable != "" {
				fmt.Fprintf(a.stderr, "warning: the replaced database could not be read (%s); check it for unsubscribes made after the backup\n", res.CurrentUnreadable)
			}
			if res.LaterEvents {
				fmt.Fprintf(a.stderr, "warning: the replaced database has events up to %s, newer than the backup's newest (%s): "+
					"unsubscribes, bounces and complaints made since are not in the restored database.\n"+
					"Carry them across before sending (README, \"Backups\"):\n"+
					"  %s --db %s backup export-suppressions suppressions.csv\n"+
					"  %s import --suppressions suppressions.csv\n",
					res.CurrentNewestEvent.Format(time.RFC3339), formatNewest(res.Backup.NewestEvent),
					selfCommand(), absPath(res.Aside), selfCommand())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "only verify the backup; change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func formatNewest(t time.Time) string {
	if t.IsZero() {
		return "no events"
	}
	return t.Format(time.RFC3339)
}

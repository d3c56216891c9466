package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

func newSubUnsuppressCmd(a *app) *cobra.Command {
	var campaign int64
	var reason string
	var dryRun, asJSON bool
	cmd := &cobra.Command{
		Use:   "unsuppress --campaign ID --reason TEXT",
		Short: "Restore the subscribers a campaign's bounces suppressed by mistake",
		Long: `Restores the subscribers that one campaign's bounces suppressed: those its
SMTP replies or its DSNs marked bounced, and that nothing has changed since.
Each gets an "unsuppressed" event with your reason. Unsubscribes, complaints,
blocklistings, webhook bounces and other campaigns' bounces are never touched.
Use it after a relay refused the sender and the refusals were read as the
recipients' bounces.`,
		Example: `  dispatch subscribers unsuppress --campaign 3 --reason "relay refused our sender" --dry-run
  dispatch subscribers unsuppress --campaign 3 --reason "relay refused our sender" --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case campaign <= 0:
				return usageError{fmt.Errorf("give the campaign with --campaign ID (see dispatch campaigns)")}
			case strings.TrimSpace(reason) == "":
				return usageError{fmt.Errorf("give --reason TEXT: it is recorded in each subscriber's history")}
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			us, err := s.Unsuppress(cmd.Context(), campaign, "admin", reason, dryRun)
			if err != nil {
				return fmt.Errorf("unsuppress campaign %d: %w", campaign, err)
			}
			if us == nil {
				us = []subscribers.Unsuppressed{}
			}
			if asJSON {
				return printJSON(a.stdout, struct {
					Campaign    int64                      `json:"campaign"`
					DryRun      bool                       `json:"dry_run"`
					Restored    int                        `json:"restored"`
					Subscribers []subscribers.Unsuppressed `json:"subscribers"`
				}{campaign, dryRun, len(us), us})
			}
			for _, u := range us {
				fmt.Fprintf(a.stdout, "%s\t(suppressed by %s: %s)\n", u.Email, u.SuppressedBy, u.Bounce)
			}
			verb := "Restored"
			if dryRun {
				verb = "Would restore"
			}
			fmt.Fprintf(a.stdout, "%s %s suppressed by campaign %d.\n", verb, plural(len(us), "subscriber", "subscribers"), campaign)
			return nil
		},
	}
	cmd.Flags().Int64Var(&campaign, "campaign", 0, "the campaign whose bounces to undo")
	cmd.Flags().StringVar(&reason, "reason", "", "why, for each subscriber's history (required)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list who would be restored; change nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

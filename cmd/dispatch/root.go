package main

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
)

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "dispatch",
		Short: "Dispatch sends email newsletters from one binary and one SQLite file",
		Long: `Dispatch imports contact lists, renders Markdown issues into designed HTML
email, sends them over SMTP with throttling and a crash-safe ledger, and
handles unsubscribes and bounces.

Configuration comes from dispatch.yaml (or --config FILE), then DISPATCH_*
environment variables (DISPATCH_SMTP_HOST for smtp.host), then flags.`,
		Example: `  dispatch quickstart
  dispatch import contacts.csv --list clients
  dispatch render issue.md --html issue.html
  dispatch send issue.md --list clients
  dispatch serve`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd.Annotations[skipConfig] != "" {
				return nil
			}
			return a.load(cmd)
		},
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "configuration file (default ./dispatch.yaml if present)")
	root.PersistentFlags().String("db", "", "SQLite database file (overrides database.path)")
	root.PersistentFlags().BoolVarP(&a.verbose, "verbose", "v", false, "log debugging detail to stderr")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })

	root.AddCommand(
		newListsCmd(a),
		newSubscribersCmd(a),
		newImportCmd(a),
		newSendCmd(a),
		newRenderCmd(a),
		newPreviewCmd(a),
		newServeCmd(a),
		newBouncesCmd(a),
		newCampaignsCmd(a),
		newDoctorCmd(a),
		newBenchCmd(a),
		newQuickstartCmd(a),
		newSecretCmd(a),
		newBackupCmd(a),
		newRestoreCmd(a),
		newUsersCmd(a),
		newVersionCmd(),
	)
	return root
}

// skipConfig is the annotation of commands that must work whatever the
// configuration holds.
const skipConfig = "dispatch/skip-config"

// usageError marks a mistake in how the command was called.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

func isUsageError(err error) bool {
	var ue usageError
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "accepts ") ||
		strings.HasPrefix(msg, "requires ") || strings.HasPrefix(msg, "unknown flag") ||
		strings.Contains(msg, "required flag")
}

// exactArgs is cobra.ExactArgs with a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// maxArgs is cobra.MaximumNArgs with a usage error.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

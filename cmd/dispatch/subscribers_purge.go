package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newSubPurgeUnconfirmedCmd(a *app) *cobra.Command {
	var olderThan string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "purge-unconfirmed",
		Short: "Remove subscribe-form requests never confirmed",
		Long: `Purge-unconfirmed removes the subscriptions asked for through a subscribe
form and not confirmed from the email within --older-than. A subscriber
the request created, who is on no other list and was never mailed, is
deleted with it (they never consented, so nothing of them is kept). A
request to come back to a list the person had left is dropped; they stay
unsubscribed. Each removal is recorded in the history. Running it again
removes nothing more.`,
		Example: `  dispatch subscribers purge-unconfirmed --older-than 30d
  dispatch subscribers purge-unconfirmed --older-than 72h --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			age, err := parseAge(olderThan)
			if err != nil {
				return usageError{fmt.Errorf("--older-than: %w", err)}
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			res, err := s.PurgeUnconfirmed(cmd.Context(), time.Now().Add(-age), "admin")
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, map[string]int{"subscriptions": res.Subscriptions,
					"subscribers": res.Subscribers, "requests": res.Requests})
			}
			fmt.Fprintf(a.stdout, "Purged %s (%s deleted with them) and %s to come back.\n",
				plural(res.Subscriptions, "unconfirmed subscription", "unconfirmed subscriptions"),
				plural(res.Subscribers, "subscriber", "subscribers"),
				plural(res.Requests, "stale request", "stale requests"))
			return nil
		},
	}
	cmd.Flags().StringVar(&olderThan, "older-than", "30d", "age of the requests to remove: days (30d), or a Go duration (72h)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// parseAge reads an age as whole days ("30d") or a Go duration ("72h").
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number of days like 30d", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not an age like 30d or 72h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be more than zero", s)
	}
	return d, nil
}

package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

func newBouncesUnattributedCmd(a *app) *cobra.Command {
	var asJSON bool
	var since time.Duration
	var limit int
	cmd := &cobra.Command{
		Use:   "unattributed",
		Short: "List bounce and complaint reports that changed no one, for review",
		Long: `Unattributed lists the bounce and complaint reports that could not be tied
to a delivery Dispatch made, newest first. A report suppresses a subscriber
only when it carries a valid signed token (the VERP address it came back to,
or the Message-ID or X-Dispatch-Delivery of the returned message), or when it
names at most ` + fmt.Sprint(subscribers.DefaultMaxAddressRecipients) + ` recipients and the address was sent a message within
bounces.address_match_window. Everything else is kept here and changed no
one: forged reports, reports about addresses that are not subscribers, and
reports too large or cut short at a limit.

Each line says why the report was not applied. To act on one, suppress the
subscriber yourself (dispatch subscribers ...).`,
		Example: `  dispatch bounces unattributed
  dispatch bounces unattributed --since 72h --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			var from time.Time
			if since > 0 {
				from = time.Now().Add(-since)
			}
			rs, err := s.UnattributedReports(cmd.Context(), from, limit)
			if err != nil {
				return err
			}
			if asJSON {
				if rs == nil {
					rs = []subscribers.UnattributedReport{}
				}
				return printJSON(a.stdout, rs)
			}
			if len(rs) == 0 {
				fmt.Fprintln(a.stdout, "No unattributed reports.")
				return nil
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "ID\tRECEIVED\tSOURCE\tKIND\tRECIPIENTS\tADDRESSES\tREASON")
			for _, r := range rs {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.CreatedAt.Local().Format("2006-01-02 15:04"),
					termSafe(r.Source), r.Kind, r.Recipients, termSafe(sampleAddresses(r.Addresses, r.Recipients)), termSafe(r.Reason))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	cmd.Flags().DurationVar(&since, "since", 0, "only reports received within this long (e.g. 72h)")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most this many reports (0: all)")
	return cmd
}

// sampleAddresses shows the first few addresses and how many more there are.
func sampleAddresses(addrs []string, total int) string {
	const show = 3
	s := strings.Join(addrs[:min(len(addrs), show)], ", ")
	if more := max(total, len(addrs)) - min(len(addrs), show); more > 0 {
		s += fmt.Sprintf(" (+%d)", more)
	}
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// failedJSON is one failed delivery as `campaigns show ID --failed --json`
// reports it.
type failedJSON struct {
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`      // temporary, bounce, refused, invalid
	Retryable bool      `json:"retryable"` // `campaigns retry` re-queues it
	Attempts  int       `json:"attempts"`
	SMTPCode  int       `json:"smtp_code"`
	Reason    string    `json:"reason"`
	Relay     string    `json:"relay"`
	FailedAt  time.Time `json:"failed_at"`
}

// kindWords explain each kind of failure in the table.
var kindWords = map[subscribers.FailureKind]string{
	subscribers.FailTemporary: "temporary (gave up retrying)",
	subscribers.FailBounce:    "bounce (address refused)",
	subscribers.FailRefused:   "refused (sender or content)",
	subscribers.FailInvalid:   "invalid (message not built)",
	subscribers.FailRemoved:   "removed (person erased since)",
}

func (a *app) showFailed(ctx context.Context, s *sqlite.Store, c *subscribers.Campaign, asJSON bool) error {
	fs, err := s.FindFailedDeliveries(ctx, c.ID)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]failedJSON, 0, len(fs))
		for _, f := range fs {
			out = append(out, failedJSON{Email: f.Email, Name: f.Name, Kind: string(f.Kind), Retryable: f.Retryable(),
				Attempts: f.Attempts, SMTPCode: f.SMTPCode, Reason: f.Error, Relay: f.Relay, FailedAt: f.FailedAt})
		}
		return printJSON(a.stdout, out)
	}
	if len(fs) == 0 {
		fmt.Fprintf(a.stdout, "No failed deliveries in campaign %d.\n", c.ID)
		return nil
	}
	tw := newTable(a.stdout)
	fmt.Fprintln(tw, "EMAIL\tWHY\tATTEMPTS\tCODE\tWHEN\tREASON")
	retryable := 0
	for _, f := range fs {
		if f.Retryable() {
			retryable++
		}
		email := f.Email
		if email == "" {
			email = fmt.Sprintf("(removed subscriber %d)", f.SubscriberID)
		}
		code := "-"
		if f.SMTPCode != 0 {
			code = fmt.Sprint(f.SMTPCode)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", termSafe(email), kindWords[f.Kind], f.Attempts, code,
			f.FailedAt.Local().Format(time.DateTime), termSafe(shorten(f.Error, 120)))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "\n%s failed; %d failed for temporary reasons", plural(len(fs), "delivery", "deliveries"), retryable)
	if retryable > 0 {
		fmt.Fprintf(a.stdout, ": `dispatch campaigns retry %d` queues them again", c.ID)
	}
	fmt.Fprintln(a.stdout, ".")
	return nil
}

// shorten cuts s to n characters with an ellipsis.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// retryJSON is the --json output of `campaigns retry`.
type retryJSON struct {
	Campaign int64          `json:"campaign"`
	Requeued int            `json:"requeued"`
	Kept     map[string]int `json:"kept"` // failed deliveries left failed, by kind
	Next     string         `json:"next,omitempty"`
}

func newCampaignsRetryCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "retry ID",
		Short: "Queue again the deliveries that failed for temporary reasons",
		Long: `Retry queues again, with fresh attempts, the deliveries of a campaign that
failed for temporary reasons: the relay or the recipient's server kept
answering 4xx, timing out or dropping the connection until the attempts
ran out. Bounces (the address was refused), refusals about the sender or
the content, and messages that could not be built stay failed: sending
them again would fail the same way. Then run the campaign's send command
again to send them; nobody already sent is mailed twice.`,
		Example: `  dispatch campaigns show 3 --failed
  dispatch campaigns retry 3
  dispatch send issue.md --list clients --yes`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			s, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			c, err := findCampaign(ctx, s, args[0])
			if err != nil {
				return err
			}
			res, err := s.RetryFailed(ctx, c.ID)
			if err != nil {
				return err
			}
			next := ""
			if res.Requeued > 0 {
				next = fmt.Sprintf("dispatch send %s --list %s", c.IssuePath, c.ListName)
			}
			if asJSON {
				kept := map[string]int{}
				for _, k := range []subscribers.FailureKind{subscribers.FailBounce, subscribers.FailRefused, subscribers.FailInvalid, subscribers.FailRemoved} {
					kept[string(k)] = res.Kept[k]
				}
				return printJSON(a.stdout, retryJSON{Campaign: c.ID, Requeued: res.Requeued, Kept: kept, Next: next})
			}
			fmt.Fprintf(a.stdout, "Campaign %d: queued again %s that failed for temporary reasons.\n", c.ID,
				plural(res.Requeued, "delivery", "deliveries"))
			var kept []string
			for _, k := range []struct {
				kind subscribers.FailureKind
				one  string
				many string
			}{
				{subscribers.FailBounce, "bounce (the address was refused)", "bounces (the address was refused)"},
				{subscribers.FailRefused, "refusal about the sender or content", "refusals about the sender or content"},
				{subscribers.FailInvalid, "message that could not be built", "messages that could not be built"},
				{subscribers.FailRemoved, "delivery to a person removed since", "deliveries to people removed since"},
			} {
				if n := res.Kept[k.kind]; n > 0 {
					kept = append(kept, plural(n, k.one, k.many))
				}
			}
			if len(kept) > 0 {
				fmt.Fprintf(a.stdout, "Left failed, since sending again would fail the same way or reach no one: %s.\n", strings.Join(kept, ", "))
			}
			if next != "" {
				fmt.Fprintf(a.stdout, "Send them with: %s\n", next)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

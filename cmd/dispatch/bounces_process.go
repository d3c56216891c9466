package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func (a *app) inboxProcessor(s *sqlite.Store, tokens *subscribers.Tokens) (*inbox.Processor, error) {
	if a.cfg.Sender.BounceAddress == "" {
		return nil, errors.New("sender.bounce_address is not set: it is the base of the VERP addresses bounces are matched by")
	}
	return inbox.New(inbox.Config{
		Store:         s,
		Tokens:        tokens,
		BounceAddress: a.cfg.Sender.BounceAddress,
		Policy:        a.bouncePolicy(),
		Logger:        a.logger,
	})
}

func newBouncesProcessCmd(a *app) *cobra.Command {
	var o processOptions
	cmd := &cobra.Command{
		Use:   "process (--mbox FILE | --maildir DIR | FILE...)",
		Short: "Apply bounces, complaints and mailto unsubscribes from mail",
		Long: `Process reads the bounce mailbox's messages and applies them: each bounce
is matched to its delivery by the signed VERP token in the address it came
back to, else by the signed Message-ID or X-Dispatch-Delivery of the returned
message. A report with no valid token is matched by the recipient's address
only if it names at most 5 recipients and the address was sent a message
within bounces.address_match_window; anything else (a forged report, one
about strangers, one cut short at a size limit) changes no one and is kept
for review: see dispatch bounces unattributed.

A hard bounce suppresses the subscriber at once; soft bounces after
bounces.soft_limit within bounces.soft_window; a complaint at once
(complained), under the same rules. Mail sent to the List-Unsubscribe mailto
address unsubscribes the sender from that list (its token is required).
Auto-replies and delay notices change nothing. Processing the same messages
again changes nothing.

dispatch serve polls an IMAP mailbox the same way when bounces.imap.host is set.`,
		Example: `  dispatch bounces process --mbox /var/mail/bounces
  dispatch bounces process --maildir ~/Maildir/bounces --json
  dispatch bounces process returned/*.eml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.processBounces(cmd.Context(), o, args)
		},
	}
	cmd.Flags().StringVar(&o.mbox, "mbox", "", "an mbox file")
	cmd.Flags().StringVar(&o.maildir, "maildir", "", "a Maildir folder (new/ and cur/)")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the summary and every message's outcome as JSON")
	cmd.Flags().BoolVar(&o.verbose, "list", false, "print one line per message")
	return cmd
}

func describeOutcome(o inbox.Outcome) string {
	line := fmt.Sprintf("%s: %s", o.Source, o.Type)
	switch {
	case o.Error != "":
		line += " error: " + o.Error
	case o.Duplicate:
		line += " (already processed)"
	case o.Unsubscribe != nil:
		line += fmt.Sprintf(" → unsubscribed subscriber %d from list %d", o.Unsubscribe.SubscriberID, o.Unsubscribe.ListID)
	case o.Ignored != "":
		line += " (" + o.Ignored + ")"
	}
	for _, r := range o.Recipients {
		line += fmt.Sprintf("\n  %s %s %s via %s", r.Address, r.Kind, r.Status, r.Attribution)
		if r.Suppressed != "" {
			line += " → " + string(r.Suppressed)
		}
		if r.Unattributed != "" {
			line += " (unattributed: " + r.Unattributed + ")"
		}
	}
	return termSafeLines(line)
}

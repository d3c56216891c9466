package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/dispatchhq/dispatch/bounce/inbox"
)

// processOptions are the flags of bounces process.
type processOptions struct {
	mbox, maildir   string
	asJSON, verbose bool
}

// processBounces applies the bounce mail named by o or files.
func (a *app) processBounces(ctx context.Context, o processOptions, files []string) error {
	n := 0
	for _, set := range []bool{o.mbox != "", o.maildir != "", len(files) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		return usageError{errors.New("give exactly one of --mbox FILE, --maildir DIR, or one or more files")}
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	tokens, err := a.tokens()
	if err != nil {
		return err
	}
	p, err := a.inboxProcessor(s, tokens)
	if err != nil {
		return err
	}
	var outcomes []inbox.Outcome
	report := func(out inbox.Outcome) {
		if o.asJSON {
			outcomes = append(outcomes, out)
			return
		}
		if o.verbose || out.Error != "" {
			fmt.Fprintln(a.stdout, describeOutcome(out))
		}
	}
	var sum inbox.Summary
	switch {
	case o.mbox != "":
		f, ferr := os.Open(o.mbox)
		if ferr != nil {
			return ferr
		}
		defer f.Close()
		sum, err = p.ProcessMbox(ctx, f, report)
	case o.maildir != "":
		sum, err = p.ProcessMaildir(ctx, o.maildir, report)
	default:
		sum, err = p.ProcessFiles(ctx, files, report)
	}
	if perr := a.printProcessed(sum, outcomes, o.asJSON); perr != nil {
		return perr
	}
	if err != nil {
		return err
	}
	if sum.Errors > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d messages could not be processed", sum.Errors)}
	}
	return nil
}

// printProcessed prints the summary of a processing pass, with every
// message's outcome in JSON.
func (a *app) printProcessed(sum inbox.Summary, outcomes []inbox.Outcome, asJSON bool) error {
	if asJSON {
		if outcomes == nil {
			outcomes = []inbox.Outcome{}
		}
		return printJSON(a.stdout, struct {
			inbox.Summary
			Outcomes []inbox.Outcome `json:"outcomes"`
		}{sum, outcomes})
	}
	fmt.Fprintf(a.stdout, "%d messages: %d bounces, %d complaints, %d unsubscribes, %d auto-replies, %d delays, %d refused for reasons about the sender, %d ignored, %d already processed, %d unattributed, %d errors\n",
		sum.Messages, sum.Bounces, sum.Complaints, sum.Unsubscribes, sum.AutoReplies, sum.Delays, sum.SenderRefusals, sum.Ignored,
		sum.Duplicates, sum.Unattributed, sum.Errors)
	if sum.Unattributed > 0 {
		fmt.Fprintln(a.stdout, "Unattributed reports changed no one; review them with: dispatch bounces unattributed")
	}
	return nil
}

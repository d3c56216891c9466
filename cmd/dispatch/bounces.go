package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/bounce"
)

func newBouncesCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bounces",
		Short: "Classify and apply bounce, complaint and unsubscribe mail",
	}
	cmd.AddCommand(newBouncesParseCmd(a))
	if c := newBouncesProcessCmd(a); c != nil {
		cmd.AddCommand(c)
	}
	cmd.AddCommand(newBouncesUnattributedCmd(a))
	return cmd
}

// parsedJSON is one line of `bounces parse --json`.
type parsedJSON struct {
	File string `json:"file"`
	*bounce.Result
	Error string `json:"error,omitempty"`
}

func newBouncesParseCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "parse FILE...",
		Short: "Classify raw messages without touching the database",
		Long: `Parse reads raw messages (RFC 5322, e.g. .eml files; "-" for stdin) and
says what each is: "bounce" (with every failed recipient, its RFC 3463
status, SMTP reply code, hard/soft verdict, blame and reason; a delay notice
is a bounce whose recipients are only delayed, marked "delayed": true),
"complaint" (ARF feedback report), "autoreply" (RFC 3834: not a bounce), or
"none".

It understands RFC 3464 delivery status notifications and the formats real
servers send instead (Postfix, Exim, qmail, Sendmail, Exchange/Office 365,
Gmail, Yahoo, Amazon SES, ...). With --json it prints one JSON object per
file, one per line.`,
		Example: `  dispatch bounces parse bounce.eml --json
  dispatch bounces parse mail/*.eml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{fmt.Errorf("give at least one FILE")}
			}
			return nil
		},
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil }, // no configuration needed
		RunE: func(cmd *cobra.Command, args []string) error {
			failed := 0
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			for _, path := range args {
				res, err := parseFile(a, path)
				if err != nil {
					failed++
					fmt.Fprintf(a.stderr, "%s: %v\n", path, err)
					if asJSON {
						enc.Encode(parsedJSON{File: path, Result: &bounce.Result{Type: bounce.Type("none"), Recipients: []bounce.Recipient{}}, Error: err.Error()})
					}
					continue
				}
				if res.Recipients == nil {
					res.Recipients = []bounce.Recipient{}
				}
				if asJSON {
					if err := enc.Encode(parsedJSON{File: path, Result: res}); err != nil {
						return err
					}
					continue
				}
				fmt.Fprintf(a.stdout, "%s: %s", path, res.Type)
				if res.FeedbackType != "" {
					fmt.Fprintf(a.stdout, " (%s)", res.FeedbackType)
				}
				fmt.Fprintln(a.stdout)
				if res.Truncated != "" {
					fmt.Fprintf(a.stdout, "  cut short (%s): %d recipients listed, at least %d more not read\n",
						res.Truncated, len(res.Recipients), res.DroppedRecipients)
				}
				for _, r := range res.Recipients {
					verdict := "soft"
					if r.Hard {
						verdict = "hard"
					}
					fmt.Fprintf(a.stdout, "  %s  %s %s  %s  %s  %s\n", r.Address, orDash(r.Status), orDash(r.ReplyCode), verdict, r.Reason, r.Diagnostic)
				}
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d files could not be read as messages", failed, len(args))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per file")
	return cmd
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

func parseFile(a *app, path string) (*bounce.Result, error) {
	var r io.Reader
	if path == "-" {
		r = a.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return bounce.Parse(r)
}

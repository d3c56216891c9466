package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

func newRenderCmd(a *app) *cobra.Command {
	var htmlOut, textOut, as, list string
	cmd := &cobra.Command{
		Use:   "render ISSUE.md",
		Short: "Render an issue as a subscriber would get it, and check it",
		Long: `Render compiles the issue (Markdown, layout, inlined CSS, text part) and
writes the final HTML and text as one subscriber would receive them: the
subscriber named by --as if they are in the database, else a sample
subscriber. It prints every check: template errors with file and line,
unknown placeholders, a layout without unsubscribe link or postal address,
HTML over Gmail's 102 KB clipping limit (90 KB warns), images without alt
text. Exit status 1 when any check is an error.

When the database has the list (--list, default clients), the attributes
the issue prints ({{ .Attr "company" }}) are checked against its
subscribers, as send does: an attribute some lack is a warning, one nobody
has is a warning that send would refuse.`,
		Example: `  dispatch render examples/issue.md --html issue.html --text issue.txt
  dispatch render examples/issue.md --as ada@example.com --html -`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			listName := list
			if listName == "" {
				listName = "clients"
			}
			l, err := a.previewList(cmd.Context(), listName)
			if err != nil {
				return err
			}
			if l != nil {
				listName = l.DisplayName()
			}
			is, err := templates.LoadIssue(args[0])
			if err != nil {
				return a.checkFailure(err)
			}
			c, err := templates.Compile(is, a.templateConfig(listName))
			if err != nil {
				return a.checkFailure(err)
			}
			r := templates.SampleRecipient()
			var subID int64
			if as != "" {
				r.Email = as
				if s, err := a.openStore(cmd.Context()); err == nil {
					if sub, err := s.FindSubscriberByEmail(cmd.Context(), as); err == nil {
						r = templates.Recipient{Email: sub.Email, Name: sub.Name, Attributes: sub.Attributes}
						subID = sub.ID
					} else if !errors.Is(err, subscribers.ErrNotFound) {
						return err
					} else {
						fmt.Fprintf(a.stderr, "note: %s is not a subscriber; rendering with sample data\n", as)
					}
				} else {
					fmt.Fprintf(a.stderr, "note: %v; rendering with sample data\n", err)
				}
			}
			r.UnsubscribeURL = a.previewUnsubscribeURL(subID)
			out, err := c.Render(r)
			if err != nil {
				return err
			}
			if htmlOut == "" && textOut == "" {
				htmlOut = "-"
			}
			if err := writeOut(a, htmlOut, out.HTML); err != nil {
				return err
			}
			if err := writeOut(a, textOut, out.Text); err != nil {
				return err
			}
			warnings := c.Warnings
			if l != nil {
				aud, err := listAudience(cmd.Context(), a.store, l)
				if err != nil {
					return err
				}
				warnings = append(warnings, templates.Advisory(c.CheckAttrs(aud))...)
			} else if note := attrNote(c); note != "" {
				fmt.Fprintln(a.stderr, note)
			}
			for _, w := range warnings {
				fmt.Fprintln(a.stderr, checkLine(w))
			}
			fmt.Fprintf(a.stderr, "%s: subject %q, HTML %.1f KB, text %.1f KB; %s\n", args[0], out.Subject,
				float64(len(out.HTML))/1024, float64(len(out.Text))/1024, plural(len(warnings), "warning", "warnings"))
			return nil
		},
	}
	cmd.Flags().StringVar(&htmlOut, "html", "", `write the HTML part here ("-" for stdout)`)
	cmd.Flags().StringVar(&textOut, "text", "", `write the text part here ("-" for stdout)`)
	cmd.Flags().StringVar(&as, "as", "", "render as this subscriber (looked up in the database)")
	cmd.Flags().StringVar(&list, "list", "", "the list the issue is for; the footer shows its title (default clients)")
	return cmd
}

// previewUnsubscribeURL is a real, signed link when a secret is configured,
// so a rendered preview's link can be followed against `dispatch serve`.
func (a *app) previewUnsubscribeURL(subscriberID int64) string {
	if tk, err := a.tokens(); err == nil {
		return subscribers.UnsubscribeURL(a.cfg.Web.BaseURL, tk.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: subscriberID}))
	}
	return subscribers.UnsubscribeURL(a.cfg.Web.BaseURL, "preview")
}

func writeOut(a *app, path string, data []byte) error {
	switch path {
	case "":
		return nil
	case "-":
		_, err := a.rawStdout.Write(data)
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "wrote %s\n", path)
	return nil
}

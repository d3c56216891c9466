package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

func newRenderCmd(a *app) *cobra.Command {
	var o renderOptions
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
			return a.render(cmd.Context(), args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.htmlOut, "html", "", `write the HTML part here ("-" for stdout)`)
	cmd.Flags().StringVar(&o.textOut, "text", "", `write the text part here ("-" for stdout)`)
	cmd.Flags().StringVar(&o.as, "as", "", "render as this subscriber (looked up in the database)")
	cmd.Flags().StringVar(&o.list, "list", "", "the list the issue is for; the footer shows its title (default clients)")
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

// previewManageURL is the preference-centre link of a preview, signed
// like a campaign's when a secret is configured.
func (a *app) previewManageURL(subscriberID int64) string {
	if tk, err := a.tokens(); err == nil {
		return subscribers.ManageURL(a.cfg.Web.BaseURL, tk.Manage(subscriberID, time.Now().Add(subscribers.ManageLinkTTL)))
	}
	return subscribers.ManageURL(a.cfg.Web.BaseURL, "preview")
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

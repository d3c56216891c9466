package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

type listJSON struct {
	Name         string    `json:"name"`
	Title        string    `json:"title"`
	Description  string    `json:"description"`
	Visibility   string    `json:"visibility"`
	Subscribed   int       `json:"subscribed"`
	Active       int       `json:"active"`
	Unsubscribed int       `json:"unsubscribed"`
	CreatedAt    time.Time `json:"created_at"`
	OptIn        string    `json:"optin"` // the subscribe form: single or double
}

func newListJSON(l *subscribers.List) listJSON {
	return listJSON{Name: l.Name, Title: l.Title, Description: l.Description, Visibility: string(l.Visibility), Subscribed: l.Subscribed,
		Active: l.Active, Unsubscribed: l.Unsubscribed, CreatedAt: l.CreatedAt, OptIn: string(l.OptIn)}
}

func newListsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lists",
		Short: "Show lists and their member counts",
		Long: `Show every list with its counts: subscribed (consented to the list),
active (subscribed and deliverable: not bounced, complained, blocklisted
or unsubscribed everywhere) and unsubscribed (left this list).

A list has a name, used in commands, and an optional title, which is what
recipients see: in the footer of every message ("you subscribed to …"), in
the List-Id header and on the unsubscribe pages. Without a title they see
the name.

A list is private (the default) or public. Every sent issue has a web
version; a public list also has an archive of its issues at
/archive/NAME, an Atom feed, and shows in the preference centre. The
issues of a private list open only through the signed link in the email.`,
		Example: `  dispatch lists
  dispatch lists --json
  dispatch lists create clients --title "Northwind Security Briefing"
  dispatch lists create briefing --public
  dispatch lists set clients --title "Northwind Security Briefing"
  dispatch lists set briefing --private
  dispatch lists rename clients northwind-clients`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			lists, err := s.FindLists(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]listJSON, 0, len(lists))
				for i := range lists {
					out = append(out, newListJSON(&lists[i]))
				}
				return printJSON(a.stdout, out)
			}
			if len(lists) == 0 {
				fmt.Fprintln(a.stdout, "No lists yet. Create one with: dispatch lists create NAME --title \"What recipients see\"")
				return nil
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "LIST\tTITLE\tVISIBILITY\tSUBSCRIBED\tACTIVE\tUNSUBSCRIBED\tCREATED")
			for _, l := range lists {
				title := l.Title
				if title == "" {
					title = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", termSafe(l.Name), termSafe(title), l.Visibility, l.Subscribed, l.Active, l.Unsubscribed, l.CreatedAt.Format(time.DateOnly))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newListsCreateCmd(a), newListsSetCmd(a), newListsRenameCmd(a), newListsTrackingCmd(a), newListsFormCmd(a))
	return cmd
}

func newListsCreateCmd(a *app) *cobra.Command {
	var nl subscribers.NewList
	var asJSON, public bool
	var optin string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a list",
		Long: `Create a list. It is private unless --public: a public list has a web
archive of its issues (/archive/NAME), an Atom feed, and shows in the
preference centre.`,
		Example: `  dispatch lists create clients --title "Northwind Security Briefing"
  dispatch lists create clients --description "Weekly security briefing"
  dispatch lists create briefing --public`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.createStore(cmd.Context())
			if err != nil {
				return err
			}
			nl.Name = args[0]
			if nl.OptIn, err = subscribers.ParseOptIn(optin); err != nil {
				return usageError{fmt.Errorf("--optin: %w", err)}
			}
			if public {
				nl.Visibility = subscribers.Public
			}
			l, err := s.CreateList(cmd.Context(), nl)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, newListJSON(l))
			}
			fmt.Fprintf(a.stdout, "Created %s list %q%s.\n", l.Visibility, l.Name, shownAs(l))
			return nil
		},
	}
	cmd.Flags().StringVar(&nl.Title, "title", "", "what recipients see in messages and on the unsubscribe pages (default: the name)")
	cmd.Flags().StringVar(&nl.Description, "description", "", "what the list is for (only admins see it)")
	cmd.Flags().BoolVar(&public, "public", false, "list the issues in a public web archive and feed (default: private)")
	cmd.Flags().StringVar(&optin, "optin", "double", optinUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// optinUsage describes --optin of lists create and lists set.
const optinUsage = "subscribe form: double (confirm by email) or single (subscribed at once)"

func newListsSetCmd(a *app) *cobra.Command {
	var title, desc, optin string
	var asJSON, public, private bool
	cmd := &cobra.Command{
		Use:   "set NAME",
		Short: "Change a list's title, description or visibility",
		Long: `Set changes what recipients see as the list's name (--title), its
description, or its visibility (--public or --private). An empty --title ""
removes the title, so recipients see the name again. Messages of campaigns
already started keep the title they were rendered with; the unsubscribe
pages show the new one at once.

A public list's issues are listed in its web archive (/archive/NAME) and
Atom feed, and the list shows in the preference centre. Making it private
takes the archive and feed down at once; each issue's web version then
opens only through the signed link in its email.`,
		Example: `  dispatch lists set clients --title "Northwind Security Briefing"
  dispatch lists set clients --title ""
  dispatch lists set briefing --public`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var upd subscribers.ListUpdate
			if cmd.Flags().Changed("title") {
				upd.Title = &title
			}
			if cmd.Flags().Changed("description") {
				upd.Description = &desc
			}
			if public && private {
				return usageError{fmt.Errorf("pass --public or --private, not both")}
			}
			if public || private {
				v := subscribers.Private
				if public {
					v = subscribers.Public
				}
				upd.Visibility = &v
			}
			if cmd.Flags().Changed("optin") {
				o, err := subscribers.ParseOptIn(optin)
				if err != nil {
					return usageError{fmt.Errorf("--optin: %w", err)}
				}
				upd.OptIn = &o
			}
			if upd.Title == nil && upd.Description == nil && upd.Visibility == nil && upd.OptIn == nil {
				return usageError{fmt.Errorf("nothing to change: pass --title, --description, --public or --private (or --optin)")}
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			l, err := s.UpdateList(cmd.Context(), args[0], upd)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, newListJSON(l))
			}
			fmt.Fprintf(a.stdout, "Updated %s list %q%s.\n", l.Visibility, l.Name, shownAs(l))
			return nil
		},
	}
	cmd.Flags().StringVar(&title, "title", "", `what recipients see ("" to show the name)`)
	cmd.Flags().StringVar(&desc, "description", "", "what the list is for (only admins see it)")
	cmd.Flags().BoolVar(&public, "public", false, "list the issues in a public web archive and feed")
	cmd.Flags().BoolVar(&private, "private", false, "take the archive down: issues open only through the link in their email")
	cmd.Flags().StringVar(&optin, "optin", "double", optinUsage)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newListsRenameCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "rename OLD NEW",
		Short: "Rename a list, keeping its subscribers and campaigns",
		Long: `Rename changes the name used in commands. Subscriptions, campaigns and
history stay with the list. Recipients see the title when there is one, so
a rename changes what they see only for an untitled list. The List-Id
header of later messages carries the new name.`,
		Example: `  dispatch lists rename clients northwind-clients`,
		Args:    exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			l, err := s.RenameList(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Renamed list %q to %q%s.\n", args[0], l.Name, shownAs(l))
			return nil
		},
	}
}

// shownAs says what recipients see, when it is not the name.
func shownAs(l *subscribers.List) string {
	if l.Title == "" {
		return " (recipients see the name; set a title with --title)"
	}
	return fmt.Sprintf(", shown to recipients as %q", l.Title)
}

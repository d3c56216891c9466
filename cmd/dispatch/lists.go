package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

type listJSON struct {
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	Subscribed   int       `json:"subscribed"`
	Active       int       `json:"active"`
	Unsubscribed int       `json:"unsubscribed"`
	CreatedAt    time.Time `json:"created_at"`
}

func newListsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "lists",
		Short: "Show lists and their member counts",
		Long: `Show every list with its counts: subscribed (consented to the list),
active (subscribed and deliverable: not bounced, complained, blocklisted
or unsubscribed everywhere) and unsubscribed (left this list).`,
		Example: `  dispatch lists
  dispatch lists --json
  dispatch lists create clients`,
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
				for _, l := range lists {
					out = append(out, listJSON{Name: l.Name, Description: l.Description, Subscribed: l.Subscribed,
						Active: l.Active, Unsubscribed: l.Unsubscribed, CreatedAt: l.CreatedAt})
				}
				return printJSON(a.stdout, out)
			}
			if len(lists) == 0 {
				fmt.Fprintln(a.stdout, "No lists yet. Create one with: dispatch lists create NAME")
				return nil
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "LIST\tSUBSCRIBED\tACTIVE\tUNSUBSCRIBED\tCREATED")
			for _, l := range lists {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\n", l.Name, l.Subscribed, l.Active, l.Unsubscribed, l.CreatedAt.Format(time.DateOnly))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var desc string
	create := &cobra.Command{
		Use:     "create NAME",
		Short:   "Create a list",
		Example: `  dispatch lists create clients --description "Weekly security briefing"`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			l, err := s.CreateList(cmd.Context(), args[0], desc)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(a.stdout, listJSON{Name: l.Name, Description: l.Description, CreatedAt: l.CreatedAt})
			}
			fmt.Fprintf(a.stdout, "Created list %q.\n", l.Name)
			return nil
		},
	}
	create.Flags().StringVar(&desc, "description", "", "what the list is for")
	create.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(create)
	return cmd
}

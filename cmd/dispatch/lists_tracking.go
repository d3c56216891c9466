package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/subscribers"
)

func newListsTrackingCmd(a *app) *cobra.Command {
	var clicks, opens, basis string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tracking NAME",
		Short: "Show or set a list's click and open tracking and its lawful basis",
		Long: `Tracking shows or sets how campaigns to a list track engagement. Without
flags it shows the setting. --clicks and --opens override tracking.clicks and
tracking.opens for this list ("default" goes back to the configuration); an
issue's track_clicks: front matter overrides both.

--basis records the lawful basis the list has for tracking its readers:
consent, contract or legitimate-interest ("none" clears it). Individual click
tracking, which ties a click to a person, is accepted only with consent; see
the README's "Engagement without surveillance".`,
		Example: `  dispatch lists tracking clients
  dispatch lists tracking clients --clicks aggregate
  dispatch lists tracking clients --clicks individual --basis consent`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			l, err := s.FindListByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			lt, err := s.FindListTracking(cmd.Context(), l.ID)
			if err != nil {
				return err
			}
			changed := false
			if cmd.Flags().Changed("clicks") {
				changed = true
				if lt.Clicks, err = parseListClicks(clicks); err != nil {
					return usageError{err}
				}
			}
			if cmd.Flags().Changed("opens") {
				changed = true
				if lt.Opens, err = parseListOpens(opens); err != nil {
					return usageError{err}
				}
			}
			if cmd.Flags().Changed("basis") {
				changed = true
				if basis == "none" {
					basis = ""
				}
				if lt.Basis, err = subscribers.ParseLawfulBasis(basis); err != nil {
					return usageError{fmt.Errorf("--basis: %w", err)}
				}
			}
			if changed {
				if err := s.SetListTracking(cmd.Context(), lt); err != nil {
					return err
				}
			}
			show := listTrackingJSON{List: l.Name, Clicks: orDefault(string(lt.Clicks), a.cfg.Tracking.Clicks),
				Opens: orDefault(string(lt.Opens), a.cfg.Tracking.Opens), Basis: string(lt.Basis)}
			if asJSON {
				return printJSON(a.stdout, show)
			}
			b := show.Basis
			if b == "" {
				b = "none recorded"
			}
			fmt.Fprintf(a.stdout, "List %q: clicks %s, opens %s, lawful basis: %s.\n", l.Name, show.Clicks, show.Opens, b)
			return nil
		},
	}
	cmd.Flags().StringVar(&clicks, "clicks", "", "off, aggregate, individual, or default (tracking.clicks)")
	cmd.Flags().StringVar(&opens, "opens", "", "off, aggregate, or default (tracking.opens)")
	cmd.Flags().StringVar(&basis, "basis", "", "consent, contract, legitimate-interest, or none")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

type listTrackingJSON struct {
	List   string `json:"list"`
	Clicks string `json:"clicks"`
	Opens  string `json:"opens"`
	Basis  string `json:"basis"`
}

func parseListClicks(s string) (subscribers.ClickTracking, error) {
	if s == "default" {
		return "", nil
	}
	c, err := subscribers.ParseClickTracking(s)
	if err != nil {
		return "", fmt.Errorf("--clicks: %w", err)
	}
	return c, nil
}

func parseListOpens(s string) (subscribers.OpenTracking, error) {
	if s == "default" {
		return "", nil
	}
	o, err := subscribers.ParseOpenTracking(s)
	if err != nil {
		return "", fmt.Errorf("--opens: %w", err)
	}
	return o, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def + " (default)"
	}
	return v
}

package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/tracking"
)

// clicksReport is a campaign's engagement report; nil for a campaign that
// tracks nothing.
func clicksReport(ctx context.Context, s *sqlite.Store, c *subscribers.Campaign) (*tracking.Report, error) {
	return tracking.LoadReport(ctx, s, c)
}

// printClicks prints the clicks per story after the campaign's counts.
func printClicks(w io.Writer, r *tracking.Report) error {
	if r == nil {
		return nil
	}
	if r.Mode == subscribers.TrackOff {
		if r.Opens != nil {
			fmt.Fprintf(w, "\nOpens: %d (%s; never used for any decision)\n", r.Opens.Total, r.Opens.Note)
		}
		return nil
	}
	fmt.Fprintf(w, "\nClicks (%s tracking): %d human, %d machine (security scanners, previews), %d unique humans\n",
		r.Mode, r.Human, r.Machine, r.UniqueHumans)
	tw := newTable(w)
	fmt.Fprintln(tw, "STORY\tLINK\tHUMAN\tMACHINE\tUNIQUE HUMANS")
	for _, s := range r.Stories {
		section := s.Section
		if section == "" {
			section = "(before the first headline)"
		}
		for _, l := range s.Links {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", termSafe(section), termSafe(l.URL), l.Human, l.Machine, l.UniqueHumans)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Opens != nil {
		fmt.Fprintf(w, "Opens: %d (%s; never used for any decision)\n", r.Opens.Total, r.Opens.Note)
	}
	return nil
}

func newCampaignsClicksCmd(a *app) *cobra.Command {
	var asCSV, asSVG bool
	cmd := &cobra.Command{
		Use:   "clicks ID",
		Short: "Export a campaign's clicks per story as CSV, or its human clicks over time as an SVG chart",
		Long: `Clicks writes the click report of a tracked campaign: with --csv one row
per link (story, link, human, machine and unique human clicks); with --svg a
chart of human clicks per hour since sending. campaigns show prints the same
counts.`,
		Example: `  dispatch campaigns clicks 3 --csv > clicks.csv
  dispatch campaigns clicks 3 --svg > clicks.svg`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asCSV == asSVG {
				return usageError{fmt.Errorf("pass one of --csv or --svg")}
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			c, err := findCampaign(cmd.Context(), s, args[0])
			if err != nil {
				return err
			}
			r, err := clicksReport(cmd.Context(), s, c)
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("campaign %d tracks no clicks (tracking.clicks, dispatch lists tracking, track_clicks:)", c.ID)
			}
			if asCSV {
				return r.WriteCSV(a.stdout)
			}
			_, err = io.WriteString(a.stdout, r.Chart()+"\n")
			return err
		},
	}
	cmd.Flags().BoolVar(&asCSV, "csv", false, "write CSV")
	cmd.Flags().BoolVar(&asSVG, "svg", false, "write an SVG chart")
	return cmd
}

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// campaignJSON is one campaign as `campaigns --json` reports it.
type campaignJSON struct {
	ID                 int64      `json:"id"`
	Slug               string     `json:"slug"`
	List               string     `json:"list"`
	Subject            string     `json:"subject"`
	Status             string     `json:"status"`
	PauseReason        string     `json:"pause_reason,omitempty"`
	Recipients         int        `json:"recipients"`
	Sent               int        `json:"sent"`
	Deferred           int        `json:"deferred"`
	Failed             int        `json:"failed"`
	Bounced            int        `json:"bounced"`
	HardBounces        int        `json:"hard_bounces"`
	SoftBounces        int        `json:"soft_bounces"`
	Complaints         int        `json:"complaints"`
	Unsubscribed       int        `json:"unsubscribed"`
	Skipped            int        `json:"skipped"`
	Queued             int        `json:"queued"`
	PossibleDuplicates int        `json:"possible_duplicates"`
	Rate               float64    `json:"rate"` // messages per second while sending
	CreatedAt          time.Time  `json:"created_at"`
	StartedAt          *time.Time `json:"started_at"`
	FinishedAt         *time.Time `json:"finished_at"`
	IssuePath          string     `json:"issue_path"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func campaignReport(ctx context.Context, s *sqlite.Store, c *subscribers.Campaign) (campaignJSON, error) {
	st, err := s.FindCampaignStats(ctx, c.ID)
	if err != nil {
		return campaignJSON{}, err
	}
	j := campaignJSON{ID: c.ID, Slug: c.Slug, List: c.ListName, Subject: c.Subject, Status: string(c.Status),
		PauseReason: c.PauseReason, Recipients: st.Recipients, Sent: st.Sent, Deferred: st.Deferred, Failed: st.Failed,
		Bounced: st.HardBounces + st.SoftBounces + st.Complaints, HardBounces: st.HardBounces, SoftBounces: st.SoftBounces,
		Complaints: st.Complaints, Unsubscribed: st.Unsubscribed, Skipped: st.Skipped, Queued: st.Queued + st.Sending,
		PossibleDuplicates: st.PossibleDuplicates, CreatedAt: c.CreatedAt, StartedAt: timePtr(c.StartedAt),
		FinishedAt: timePtr(c.FinishedAt), IssuePath: c.IssuePath}
	if c.SendSeconds > 0 {
		j.Rate = float64(int(float64(st.Sent)/c.SendSeconds*10)) / 10
	}
	return j, nil
}

func newCampaignsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "campaigns",
		Short: "List campaigns and their delivery counts",
		Long: `Show every campaign: recipients, sent, deferred (waiting for a retry),
failed, bounced (hard + soft + complaints), unsubscribed since (attributed
to the campaign's links), status and sending rate.`,
		Example: `  dispatch campaigns
  dispatch campaigns show 3 --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			cs, err := s.FindCampaigns(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]campaignJSON, 0, len(cs))
			for i := range cs {
				j, err := campaignReport(cmd.Context(), s, &cs[i])
				if err != nil {
					return err
				}
				out = append(out, j)
			}
			if asJSON {
				return printJSON(a.stdout, out)
			}
			if len(out) == 0 {
				fmt.Fprintln(a.stdout, "No campaigns yet. Send one with: dispatch send ISSUE.md --list NAME")
				return nil
			}
			tw := newTable(a.stdout)
			fmt.Fprintln(tw, "ID\tISSUE\tLIST\tSTATUS\tRECIPIENTS\tSENT\tDEFERRED\tFAILED\tBOUNCED\tUNSUBSCRIBED\tRATE/S\tSTARTED")
			for _, j := range out {
				started := "-"
				if j.StartedAt != nil {
					started = j.StartedAt.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%s\n", j.ID, termSafe(j.Slug), termSafe(j.List), j.Status,
					j.Recipients, j.Sent, j.Deferred, j.Failed, j.Bounced, j.Unsubscribed, j.Rate, started)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	var showJSON, showFailed bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one campaign (by number, or the newest with that issue id)",
		Example: `  dispatch campaigns show 3
  dispatch campaigns show 3 --failed`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			c, err := findCampaign(cmd.Context(), s, args[0])
			if err != nil {
				return err
			}
			if showFailed {
				return a.showFailed(cmd.Context(), s, c, showJSON)
			}
			j, err := campaignReport(cmd.Context(), s, c)
			if err != nil {
				return err
			}
			if showJSON {
				return printJSON(a.stdout, j)
			}
			tw := newTable(a.stdout)
			row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%s\n", k, termSafe(fmt.Sprint(v))) }
			row("Campaign", j.ID)
			row("Issue", j.Slug+" ("+j.IssuePath+")")
			row("Subject", j.Subject)
			row("List", j.List)
			row("Status", j.Status)
			if j.PauseReason != "" {
				row("Paused because", j.PauseReason)
			}
			row("Recipients", j.Recipients)
			row("Sent", j.Sent)
			row("Deferred", j.Deferred)
			if j.Failed > 0 {
				row("Failed", fmt.Sprintf("%d (who and why: dispatch campaigns show %d --failed)", j.Failed, j.ID))
			} else {
				row("Failed", j.Failed)
			}
			row("Skipped", j.Skipped)
			row("Still queued", j.Queued)
			row("Bounced", fmt.Sprintf("%d (%d hard, %d soft, %d complaints)", j.Bounced, j.HardBounces, j.SoftBounces, j.Complaints))
			row("Unsubscribed since", j.Unsubscribed)
			if j.PossibleDuplicates > 0 {
				row("Possible duplicates", j.PossibleDuplicates)
			}
			row("Rate", fmt.Sprintf("%.1f messages/s", j.Rate))
			row("Created", j.CreatedAt.Local().Format(time.DateTime))
			if j.StartedAt != nil {
				row("Started", j.StartedAt.Local().Format(time.DateTime))
			}
			if j.FinishedAt != nil {
				row("Finished", j.FinishedAt.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	show.Flags().BoolVar(&showFailed, "failed", false, "list the recipients whose message failed, and why")
	cmd.AddCommand(show, newCampaignsRetryCmd(a))
	return cmd
}

// findCampaign takes a campaign number or an issue id.
func findCampaign(ctx context.Context, s *sqlite.Store, ref string) (*subscribers.Campaign, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.FindCampaignByID(ctx, id)
	}
	cs, err := s.FindCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.Slug == ref {
			return s.FindCampaignByID(ctx, c.ID)
		}
	}
	return nil, fmt.Errorf("campaign %q: %w", ref, errors.Join(subscribers.ErrNotFound))
}

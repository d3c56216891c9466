package main

import (
	"context"
	"fmt"

	"github.com/dispatchhq/dispatch/campaign"
)

// listCampaigns prints every campaign with its delivery counts.
func (a *app) listCampaigns(ctx context.Context, asJSON bool) error {
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	cs, err := s.FindCampaigns(ctx)
	if err != nil {
		return err
	}
	ctls, err := s.FindCampaignControls(ctx)
	if err != nil {
		return err
	}
	out := make([]campaignJSON, 0, len(cs))
	for i := range cs {
		j, err := campaignReport(ctx, s, &cs[i], ctls[cs[i].ID])
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
		switch {
		case j.Status == "scheduled":
			started = "at " + campaign.FormatAt(*j.ScheduledAt, j.ScheduleZone)
		case j.StartedAt != nil:
			started = j.StartedAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%s\n", j.ID, termSafe(j.Slug), termSafe(j.List), j.Status,
			j.Recipients, j.Sent, j.Deferred, j.Failed, j.Bounced, j.Unsubscribed, j.Rate, started)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, j := range out {
		if j.Status == "paused" && j.PauseReason != "" {
			fmt.Fprintf(a.stdout, "Campaign %d paused: %s\n", j.ID, termSafe(j.PauseReason))
		}
	}
	return nil
}

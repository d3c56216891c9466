package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
)

// showCampaign prints one campaign, found by number or issue id, or with
// failed the recipients whose message failed.
func (a *app) showCampaign(ctx context.Context, ref string, failed, asJSON bool) error {
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	c, err := findCampaign(ctx, s, ref)
	if err != nil {
		return err
	}
	if failed {
		return a.showFailed(ctx, s, c, asJSON)
	}
	ctl, err := s.FindCampaignControl(ctx, c.ID)
	if err != nil {
		return err
	}
	j, err := campaignReport(ctx, s, c, ctl)
	if err != nil {
		return err
	}
	if j.Clicks, err = clicksReport(ctx, s, c); err != nil {
		return err
	}
	if asJSON {
		return printJSON(a.stdout, j)
	}
	tw := newTable(a.stdout)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%s\n", k, termSafe(fmt.Sprint(v))) }
	row("Campaign", j.ID)
	row("Issue", j.Slug+" ("+j.IssuePath+")")
	row("Subject", j.Subject)
	row("List", j.List)
	row("Status", j.Status)
	if j.ScheduledAt != nil {
		row("Scheduled for", campaign.FormatAt(*j.ScheduledAt, j.ScheduleZone))
	}
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
	if err := tw.Flush(); err != nil {
		return err
	}
	return printClicks(a.stdout, j.Clicks)
}

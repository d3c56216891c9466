package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

// showCampaign prints one campaign and its report, found by number or
// issue id, as text, JSON or CSV; or with failed the recipients whose
// message failed.
func (a *app) showCampaign(ctx context.Context, ref string, failed, asJSON, asCSV bool) error {
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
	show, st, rep, err := loadCampaignShow(ctx, s, c, ctl)
	if err != nil {
		return err
	}
	if show.Clicks, err = clicksReport(ctx, s, c); err != nil {
		return err
	}
	switch {
	case asJSON:
		return printJSON(a.stdout, show)
	case asCSV:
		return subscribers.WriteCampaignReportCSV(a.stdout, c, st, rep)
	}
	j := show.campaignJSON
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
	if show.FirstDeliveryAt != nil {
		row("First delivery", show.FirstDeliveryAt.Local().Format(time.DateTime))
		row("Last delivery", show.LastDeliveryAt.Local().Format(time.DateTime))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := a.printReportTables(show); err != nil {
		return err
	}
	return printClicks(a.stdout, show.Clicks)
}

// printReportTables prints the failures by reply and the top domains.
func (a *app) printReportTables(show campaignShowJSON) error {
	if len(show.Failures) > 0 {
		fmt.Fprintln(a.stdout, "\nFailures by reply:")
		tw := newTable(a.stdout)
		for _, f := range show.Failures {
			fmt.Fprintf(tw, "  %s\t%d\n", termSafe(f.Reason), f.Count)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(show.Domains) > 0 {
		fmt.Fprintln(a.stdout, "\nTop recipient domains:")
		tw := newTable(a.stdout)
		fmt.Fprintln(tw, "  DOMAIN\tSENT\tDEFERRALS\tFAILED\tBOUNCED")
		for _, d := range show.Domains {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\n", termSafe(d.Domain), d.Sent, d.Deferred, d.Failed, d.Bounced)
		}
		return tw.Flush()
	}
	return nil
}

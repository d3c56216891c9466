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
	"github.com/dispatchhq/dispatch/tracking"
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
	ScheduledAt        *time.Time `json:"scheduled_at,omitempty"`
	ScheduleZone       string     `json:"schedule_zone,omitempty"`
	CancelledAt        *time.Time `json:"cancelled_at,omitempty"`
	// Clicks is shown by campaigns show for a tracked campaign.
	Clicks *tracking.Report `json:"clicks,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// campaignStatus is the status shown: the stored one, or scheduled or
// cancelled, which are kept beside it.
func campaignStatus(c *subscribers.Campaign, ctl subscribers.CampaignControl) string {
	switch {
	case !ctl.CancelledAt.IsZero():
		return "cancelled"
	case ctl.Hold == subscribers.HoldSchedule:
		return "scheduled"
	}
	return string(c.Status)
}

func campaignReport(ctx context.Context, s *sqlite.Store, c *subscribers.Campaign, ctl subscribers.CampaignControl) (campaignJSON, error) {
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
	j.Status = campaignStatus(c, ctl)
	j.ScheduledAt, j.ScheduleZone, j.CancelledAt = timePtr(ctl.ScheduledAt), ctl.ScheduleZone, timePtr(ctl.CancelledAt)
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
			return a.listCampaigns(cmd.Context(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	cmd.AddCommand(newCampaignsShowCmd(a), newCampaignsRetryCmd(a), newCampaignsPauseCmd(a), newCampaignsResumeCmd(a),
		newCampaignsCancelCmd(a), newCampaignsWatchCmd(a), newCampaignsClicksCmd(a))
	return cmd
}

func newCampaignsShowCmd(a *app) *cobra.Command {
	var showJSON, showCSV, showFailed bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one campaign and its report (by number, or the newest with that issue id)",
		Long: `Show a campaign's counts and its report: the first and last delivery,
deliveries per minute while sending and bounces, complaints and
unsubscribes per hour after (in --json and --csv), failures grouped by
reply, and the top recipient domains with their sent, deferred and bounced
counts.`,
		Example: `  dispatch campaigns show 3
  dispatch campaigns show 3 --json
  dispatch campaigns show 3 --csv > report.csv
  dispatch campaigns show 3 --failed`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if showJSON && showCSV {
				return usageError{errors.New("choose one of --json and --csv")}
			}
			return a.showCampaign(cmd.Context(), args[0], showFailed, showJSON, showCSV)
		},
	}
	show.Flags().BoolVar(&showJSON, "json", false, "print JSON")
	show.Flags().BoolVar(&showCSV, "csv", false, "print the report as CSV (section,key,metric,value), as the console exports it")
	show.Flags().BoolVar(&showFailed, "failed", false, "list the recipients whose message failed, and why")
	return show
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

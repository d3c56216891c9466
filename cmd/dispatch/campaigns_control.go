package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

// holder names the process holding a lease, for messages.
func holder(l *subscribers.Lease) string {
	return fmt.Sprintf("`dispatch %s` (pid %d on %s, since %s)", l.Owner.Process, l.Owner.PID, l.Owner.Host,
		l.AcquiredAt.Local().Format(time.DateTime))
}

// controlService opens the store and a campaign service that sends
// nothing, for the commands that control campaigns.
func (a *app) controlService(ctx context.Context, ref string) (*campaign.Service, *subscribers.Campaign, error) {
	s, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := findCampaign(ctx, s, ref)
	if err != nil {
		return nil, nil, err
	}
	return a.campaignService(s, nil, "campaigns"), c, nil
}

func newCampaignsPauseCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "pause ID",
		Short: "Pause a campaign until `dispatch campaigns resume`, wherever it runs",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, c, err := a.controlService(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res, err := svc.Pause(cmd.Context(), c.ID)
			if err != nil {
				return campaignAdvice(err)
			}
			switch {
			case res.Already:
				fmt.Fprintf(a.stdout, "Campaign %d is already paused.\n", c.ID)
			case res.Asked != nil:
				fmt.Fprintf(a.stdout, "Asked %s to pause campaign %d; it stops within a few seconds. Follow it with `dispatch campaigns watch %d`.\n",
					holder(res.Asked), c.ID, c.ID)
			default:
				fmt.Fprintf(a.stdout, "Paused campaign %d. Resume it with `dispatch campaigns resume %d`.\n", c.ID, c.ID)
			}
			return nil
		},
	}
}

func newCampaignsResumeCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "resume ID",
		Short: "Resume a paused or interrupted campaign in `dispatch serve`",
		Long: `Resume lifts a pause (by you, by a guardrail or by Dispatch) and hands the
campaign to the campaign runner of ` + "`dispatch serve`" + `, which sends what is still owed.
Without a running ` + "`dispatch serve`" + `, send it from here with the same
` + "`dispatch send ISSUE.md --list NAME`" + ` that started it.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, c, err := a.controlService(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res, err := svc.Resume(cmd.Context(), c.ID)
			if err != nil {
				return campaignAdvice(err)
			}
			switch {
			case res.Already:
				fmt.Fprintf(a.stdout, "Campaign %d is already running in %s.\n", c.ID, holder(res.Asked))
			case res.Runner != nil:
				fmt.Fprintf(a.stdout, "Resumed campaign %d: %s sends it now. Follow it with `dispatch campaigns watch %d`.\n",
					c.ID, holder(res.Runner), c.ID)
			default:
				fmt.Fprintf(a.stdout, "Resumed campaign %d. No `dispatch serve` is running to send it: start one, or send it from here with `dispatch send %s --list %s`.\n",
					c.ID, c.IssuePath, c.ListName)
			}
			return nil
		},
	}
}

func newCampaignsCancelCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a campaign for good: what it still owes is not sent",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, c, err := a.controlService(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			res, err := svc.Cancel(cmd.Context(), c.ID)
			if err != nil {
				return campaignAdvice(err)
			}
			switch {
			case res.Already:
				fmt.Fprintf(a.stdout, "Campaign %d was already cancelled.\n", c.ID)
			case res.Asked != nil:
				fmt.Fprintf(a.stdout, "Asked %s to cancel campaign %d; it stops within a few seconds. Follow it with `dispatch campaigns watch %d`.\n",
					holder(res.Asked), c.ID, c.ID)
			default:
				fmt.Fprintf(a.stdout, "Cancelled campaign %d: %s not sent.\n", c.ID, plural(res.Skipped, "delivery", "deliveries"))
			}
			return nil
		},
	}
}

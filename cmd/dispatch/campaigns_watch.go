package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/campaign"
)

func newCampaignsWatchCmd(a *app) *cobra.Command {
	var every time.Duration
	cmd := &cobra.Command{
		Use:   "watch ID",
		Short: "Follow a campaign's progress live, whichever process sends it",
		Long: `Watch reads the campaign from the database every --every and prints its
progress: sent, failed, deferred, the rate, the time left, and what the run
waits for. It works whether ` + "`dispatch send`" + ` or ` + "`dispatch serve`" + ` sends the
campaign, and ends when the campaign finishes (exit 0), pauses, is
cancelled, or stops with no process sending it (exit 1). Ctrl-C stops
watching, not the campaign.`,
		Example: `  dispatch campaigns watch 3`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, c, err := a.controlService(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.watch(cmd.Context(), svc, c.ID, every)
		},
	}
	cmd.Flags().DurationVar(&every, "every", time.Second, "how often to read the campaign's progress")
	return cmd
}

// watch prints a campaign's progress until it stops.
func (a *app) watch(ctx context.Context, svc *campaign.Service, id int64, every time.Duration) error {
	var last watchSample
	line := ""
	for {
		rep, err := svc.Report(ctx, id)
		if err != nil {
			return err
		}
		now := watchSample{at: time.Now(), done: rep.Stats.Sent + rep.Stats.Failed + rep.Stats.Skipped}
		if l := watchLine(rep, last, now); l != line {
			fmt.Fprintln(a.stdout, l)
			line = l
		}
		if !last.at.IsZero() {
			now.rate = 0.5*last.rate + 0.5*float64(now.done-last.done)/max(now.at.Sub(last.at).Seconds(), 0.001)
		}
		last = now
		stop, err := watchEnd(ctx, svc, rep)
		if stop {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// watchSample is one reading, for the rate.
type watchSample struct {
	at   time.Time
	done int
	rate float64 // messages per second, smoothed
}

// watchLine is one line of progress.
func watchLine(rep *campaign.Report, last, now watchSample) string {
	c, st := rep.Campaign, rep.Stats
	head := fmt.Sprintf("campaign %d %s", c.ID, rep.State())
	switch rep.State() {
	case campaign.StateScheduled:
		return fmt.Sprintf("%s for %s", head, rep.Control.ScheduledAt.Local().Format("2006-01-02 15:04:05"))
	case campaign.StateRunning:
		head += " in " + holder(rep.Runner)
	case campaign.StatePaused:
		head += ": " + c.PauseReason
	}
	l := fmt.Sprintf("%s: %d/%d sent, %d failed, %d deferred, %d bounced", head, st.Sent, st.Recipients, st.Failed, st.Deferred,
		st.HardBounces+st.SoftBounces)
	if rep.State() != campaign.StateRunning {
		return l
	}
	if left := st.Queued + st.Sending + st.Deferred; last.rate > 0 && left > 0 {
		l += fmt.Sprintf(", %.1f/s, about %s left", last.rate, time.Duration(float64(left)/last.rate*float64(time.Second)).Round(time.Second))
	}
	if rep.Runner.Note != "" {
		l += "; " + rep.Runner.Note
	}
	return l
}

// watchEnd says whether watching is over, and how it ends.
func watchEnd(ctx context.Context, svc *campaign.Service, rep *campaign.Report) (bool, error) {
	id := rep.Campaign.ID
	switch rep.State() {
	case campaign.StateFinished:
		return true, nil
	case campaign.StateCancelled:
		return true, &exitError{code: 1, err: fmt.Errorf("campaign %d was cancelled", id)}
	case campaign.StatePaused:
		return true, &exitError{code: 1, err: fmt.Errorf("campaign %d is paused: %s (resume it with `dispatch campaigns resume %d`)",
			id, rep.Campaign.PauseReason, id)}
	case campaign.StateInterrupted:
		// A campaign handed to `dispatch serve` waits for its runner.
		runner, err := svc.LiveRunner(ctx)
		if err != nil {
			return true, err
		}
		if rep.Control.Background && runner != nil {
			return false, nil
		}
		return true, &exitError{code: 1, err: errors.New("no process is sending campaign " + fmt.Sprint(id) +
			": run the `dispatch send` that started it again, or `dispatch campaigns resume " + fmt.Sprint(id) + "` with `dispatch serve` running")}
	}
	return false, nil
}

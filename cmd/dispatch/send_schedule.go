package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
)

// scheduleLayouts are the forms --at accepts.
var scheduleLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"}

// parseAt reads --at in the zone --tz names (the local zone when empty).
// A time more than a minute past is refused: it would start at once, which
// is not what scheduling means.
func parseAt(at, tz string, now time.Time) (time.Time, error) {
	loc := time.Local
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return time.Time{}, usageError{fmt.Errorf("--tz %q: not a time zone (use an Area/City name such as Europe/Paris, or UTC)", tz)}
		}
		loc = l
	}
	for _, layout := range scheduleLayouts {
		if t, err := time.ParseInLocation(layout, at, loc); err == nil {
			if t.Before(now.Add(-time.Minute)) {
				return time.Time{}, usageError{fmt.Errorf("--at %q is in the past (it is now %s)", at, now.In(loc).Format("2006-01-02 15:04"))}
			}
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("--at %q: want a date and time like \"2026-12-08 09:00\"", at)}
}

// schedule creates the planned campaign to be sent by `dispatch serve` at
// a time, and says whether a `dispatch serve` runs to send it.
func (a *app) schedule(ctx context.Context, svc *campaign.Service, plan *campaign.Plan, at time.Time, o sendOptions) error {
	c, err := svc.Schedule(ctx, plan, at, o.tz)
	if errors.Is(err, campaign.ErrExists) {
		return &exitError{code: 1, err: fmt.Errorf("%w: pass --new to schedule a new campaign of it", err)}
	}
	if err != nil {
		return err
	}
	runner, err := svc.LiveRunner(ctx)
	if err != nil {
		return err
	}
	when := campaign.FormatAt(at, o.tz)
	if o.asJSON {
		return printJSON(a.stdout, map[string]any{"campaign": c.ID, "status": "scheduled", "scheduled_at": at.UTC(), "list": plan.List.Name, "slug": c.Slug})
	}
	fmt.Fprintf(a.stdout, "Scheduled campaign %d: %s to %s at %s.\n", c.ID, c.Slug, plan.List.Name, when)
	if runner != nil {
		fmt.Fprintf(a.stdout, "It is sent by the campaign runner of %s; `dispatch serve` must still be running then.\n", holder(runner))
	} else {
		fmt.Fprintln(a.stdout, "No `dispatch serve` is running now: it sends scheduled campaigns, so start it before then.")
	}
	fmt.Fprintf(a.stdout, "See it with `dispatch campaigns`; cancel it with `dispatch campaigns cancel %d`.\n", c.ID)
	return nil
}

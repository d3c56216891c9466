package campaign

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestSettle(t *testing.T) {
	done := subscribers.CampaignStats{Sent: 3}
	owing := subscribers.CampaignStats{Sent: 1, Deferred: 2}
	for _, tc := range []struct {
		name       string
		res        *mailer.RunResult
		err        error
		st         subscribers.CampaignStats
		wantStatus subscribers.CampaignStatus
		wantReason string
	}{
		{name: "all sent", res: &mailer.RunResult{}, st: done, wantStatus: subscribers.CampaignFinished},
		{name: "paused", res: &mailer.RunResult{Paused: true, PauseReason: "refused"}, st: owing,
			wantStatus: subscribers.CampaignPaused, wantReason: "refused"},
		{name: "interrupted", res: &mailer.RunResult{Interrupted: true}, err: context.Canceled, st: owing,
			wantStatus: subscribers.CampaignSending},
		{name: "failed before sending", err: errors.New("cannot connect"), st: owing, wantStatus: subscribers.CampaignSending},
		{name: "error with nothing owed", res: &mailer.RunResult{}, err: errors.New("ledger"), st: done,
			wantStatus: subscribers.CampaignSending},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, reason := settle(tc.res, tc.err, tc.st)
			if status != tc.wantStatus || reason != tc.wantReason {
				t.Errorf("settle = %s, %q; want %s, %q", status, reason, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

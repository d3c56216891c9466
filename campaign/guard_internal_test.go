package campaign

import (
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestGuard(t *testing.T) {
	limits := Guardrails{MaxBounceRate: 5, MaxComplaintRate: 0.3}
	earlier := subscribers.CampaignStats{Sent: 1000, Failed: 90, HardBounces: 90, Complaints: 9}
	for _, tc := range []struct {
		name    string
		cfg     Guardrails
		base    subscribers.CampaignStats
		tally   mailer.Tally
		store   *subscribers.BounceCounts // the heartbeat's count, if any
		wantHas string
	}{
		{name: "too few deliveries to judge", cfg: limits, tally: mailer.Tally{Sent: 150, Failed: 49, HardBounces: 49}},
		{name: "10% hard bounces", cfg: limits, tally: mailer.Tally{Sent: 180, Failed: 20, HardBounces: 20},
			wantHas: "bounce-rate guardrail: 20 hard bounces in 200 deliveries (10.0%, the limit is 5%)"},
		{name: "at the limit is not above it", cfg: limits, tally: mailer.Tally{Sent: 190, Failed: 10, HardBounces: 10}},
		{name: "soft failures are not hard bounces", cfg: limits, tally: mailer.Tally{Sent: 150, Failed: 50}},
		{name: "earlier runs are not judged again", cfg: limits, base: earlier, tally: mailer.Tally{Sent: 200}},
		{name: "bounces by mail count", cfg: limits, base: earlier, tally: mailer.Tally{Sent: 200},
			store: &subscribers.BounceCounts{Hard: 90 + 11, Complaints: 9}, wantHas: "11 hard bounces in 200"},
		{name: "complaints", cfg: limits, base: earlier, tally: mailer.Tally{Sent: 300},
			store: &subscribers.BounceCounts{Hard: 90, Complaints: 9 + 1}, wantHas: "complaint-rate guardrail: 1 spam complaints in 300 deliveries (0.33%"},
		{name: "off", cfg: Guardrails{}, tally: mailer.Tally{Sent: 100, Failed: 100, HardBounces: 100}},
		{name: "a lower minimum", cfg: Guardrails{MaxBounceRate: 5, MinDeliveries: 10}, tally: mailer.Tally{Sent: 9, Failed: 1, HardBounces: 1},
			wantHas: "1 hard bounces in 10 deliveries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGuard(tc.cfg, tc.base)
			if tc.store != nil {
				g.observe(*tc.store)
			}
			got := g.check(tc.tally)
			if tc.wantHas == "" && got != "" || !strings.Contains(got, tc.wantHas) {
				t.Errorf("check(%+v) = %q; want %q", tc.tally, got, tc.wantHas)
			}
			if got != g.fired() {
				t.Errorf("fired() = %q; want what check said", g.fired())
			}
		})
	}
}

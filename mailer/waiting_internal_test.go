package mailer

import (
	"testing"
	"time"
)

// TestWaitReasonOfWhatTheRunSays: each wait text the sender writes is told
// apart, so that the console can say what a campaign waits for.
func TestWaitReasonOfWhatTheRunSays(t *testing.T) {
	s := &Sender{cfg: Config{Rate: 10}, relays: []*relayState{{name: "relay.example:25", lastErr: "connection refused"}}}
	st := &runState{allDownSince: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	tests := []struct {
		name, text string
		want       WaitReason
	}{
		{name: "nothing", text: "", want: WaitNone},
		{name: "relay down", text: s.relayWaiting(st), want: WaitRelay},
		{name: "hourly quota", text: "hourly limit" + waitingQuota + "11:00:00", want: WaitQuota},
		{name: "daily quota", text: "daily limit" + waitingQuota + "11:00:00", want: WaitQuota},
		{name: "retry", text: "waiting 4s for 2" + waitingRetry + "deliveries (next retry at 10:00:04)", want: WaitRetry},
		{name: "rate", text: s.rateWaiting(9.5), want: WaitRate},
		{name: "below the rate", text: s.rateWaiting(5), want: WaitNone},
		{name: "something else", text: "thinking", want: WaitNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := WaitReasonOf(tc.text); got != tc.want {
				t.Errorf("WaitReasonOf(%q) = %q; want %q", tc.text, got, tc.want)
			}
		})
	}
}

package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestCampaignFailuresCacheFollowsChanges reads a campaign's failure
// groups (which the store keeps between reads) after each change that
// must show in them: a new failure after the groups were kept, and a
// failure retried that fails again otherwise, which leaves every count as
// it was.
func TestCampaignFailuresCacheFollowsChanges(t *testing.T) {
	ctx := context.Background()
	e := newLedgerEnv(t, 3)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	fail := func(i, code int, reply string) {
		t.Helper()
		e.begin(t, i)
		e.apply(t, subscribers.LedgerOp{Kind: subscribers.OpFailed, DeliveryID: e.ds[i].ID, SMTPCode: code, Error: reply, At: at})
	}
	check := func(step string, want ...subscribers.FailureCount) {
		t.Helper()
		r, err := e.s.FindCampaignReport(ctx, e.c.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(r.Failures) != fmt.Sprint(want) {
			t.Errorf("after %s: failures = %+v; want %+v", step, r.Failures, want)
		}
	}
	fail(0, 421, "421 4.3.2 busy")
	check("a first failure", subscribers.FailureCount{Code: 421, Reason: "421 4.3.2 busy", N: 1})
	fail(1, 550, "550 5.1.1 <r1@example.com>: user unknown")
	check("a new failure",
		subscribers.FailureCount{Code: 421, Reason: "421 4.3.2 busy", N: 1},
		subscribers.FailureCount{Code: 550, Reason: "550 5.1.1 user unknown", N: 1})

	// r0's temporary failure is retried and refused for good: one failed
	// delivery left the failed state and one entered it, and r2 is still
	// queued, so the counts are what they were when the groups were kept.
	if res, err := e.s.RetryFailed(ctx, e.c.ID); err != nil || res.Requeued != 1 {
		t.Fatalf("RetryFailed = %+v, %v; want 1 requeued", res, err)
	}
	fail(0, 554, "554 5.7.1 rejected")
	check("a retried failure failing again",
		subscribers.FailureCount{Code: 550, Reason: "550 5.1.1 user unknown", N: 1},
		subscribers.FailureCount{Code: 554, Reason: "554 5.7.1 rejected", N: 1})
}

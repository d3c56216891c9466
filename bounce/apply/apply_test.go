package apply_test

import (
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestSplitNotificationIsOneUnattributedReport: a provider that splits one
// notification naming many recipients into one event per recipient gives
// reports that share a key and carry Named. With no delivery token, none
// is matched by address, the notification is kept for review once, and
// the subscribers it names (mailed or not) stay as they were.
func TestSplitNotificationIsOneUnattributedReport(t *testing.T) {
	w := newWorld(t)
	a, err := apply.New(apply.Config{Store: w.store, Tokens: w.tokens})
	if err != nil {
		t.Fatal(err)
	}
	for i, email := range allEmails {
		res, err := a.Apply(w.ctx, apply.Report{Source: "webhook:ses", Key: "webhook:ses:notification-1",
			Recipients: []apply.Recipient{{Address: email, Kind: subscribers.BounceHard, Status: "5.1.1"}}, Named: 40})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Unattributed || res.Duplicate != (i > 0) || res.ReportRecipients != 40 {
			t.Errorf("event %d: %+v; want unattributed, 40 recipients, a duplicate after the first", i, res)
		}
	}
	o := w.outcome()
	for email, s := range o.Subscribers {
		if s.Status != subscribers.StatusActive {
			t.Errorf("%s is %q; want active", email, s.Status)
		}
	}
	rs, err := w.store.UnattributedReports(w.ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Recipients != 40 || rs[0].Source != "webhook:ses" {
		t.Errorf("unattributed reports = %+v; want one naming 40 recipients from webhook:ses", rs)
	}
}

func TestNewNeedsStoreAndTokens(t *testing.T) {
	w := newWorld(t)
	for _, cfg := range []apply.Config{{Tokens: w.tokens}, {Store: w.store}} {
		if _, err := apply.New(cfg); err == nil {
			t.Errorf("New(%+v) = nil error; want one", cfg)
		}
	}
}

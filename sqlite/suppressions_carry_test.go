package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestApplySuppressionsNeverLowers: an entry weaker than what the database
// already holds changes nothing, and the export of a database applied to
// itself changes nothing.
func TestApplySuppressionsNeverLowers(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	for _, e := range []string{"c@example.com", "b@example.com", "u@example.com"} {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"news"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Suppress(ctx, mustFind(t, s, "c@example.com").ID, subscribers.StatusComplained, 0, "test", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Blocklist(ctx, "b@example.com", "admin", "asked"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	res, err := s.ApplySuppressions(ctx, []subscribers.Suppression{
		{Email: "c@example.com", Status: subscribers.StatusUnsubscribed, At: at},
		{Email: "b@example.com", Status: subscribers.StatusBounced, At: at},
		{Email: "u@example.com", Status: subscribers.StatusBounced, Reason: "550", At: at},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if res.Suppressed != 1 || res.Unchanged != 2 {
		t.Errorf("applied %+v; want 1 suppressed, 2 unchanged", res)
	}
	for email, want := range map[string]subscribers.Status{"c@example.com": subscribers.StatusComplained,
		"b@example.com": subscribers.StatusBlocklisted, "u@example.com": subscribers.StatusBounced} {
		if got := mustFind(t, s, email).Status; got != want {
			t.Errorf("%s: %s, want %s", email, got, want)
		}
	}
	events, err := s.Events(ctx, mustFind(t, s, "u@example.com").ID)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Actor != "test" || last.Reason != "carried over: bounced on 2026-12-01 00:00:00Z: 550" {
		t.Errorf("event of the carried bounce: %+v", last)
	}
	own, err := s.ExportSuppressions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.ApplySuppressions(ctx, own, "test")
	if err != nil {
		t.Fatal(err)
	}
	if again != (sqlite.SuppressionsApplied{Unchanged: len(own)}) {
		t.Errorf("a database's own export changed it: %+v", again)
	}
}

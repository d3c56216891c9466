package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestUnsuppressRestoresOnlyTheCampaignsBounces: the recovery path for a
// campaign whose bounces suppressed people by mistake restores exactly
// those, never an unsubscribe, a complaint, a blocklisting, another
// campaign's bounce or a webhook's.
func TestUnsuppressRestoresOnlyTheCampaignsBounces(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t)
	emails := []string{"smtp@example.com", "dsn@example.com", "soft@example.com", "webhook@example.com",
		"complained@example.com", "blocked@example.com", "other@example.com", "unsub@example.com"}
	for _, e := range emails {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: e, Lists: []string{"news"}}); err != nil {
			t.Fatal(err)
		}
	}
	l, _ := s.FindListByName(ctx, "news")
	camp := func() *subscribers.Campaign {
		c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "x", ListID: l.ID, Subject: "s", IssuePath: "x", Snapshot: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c, other := camp(), camp()
	bounce := func(email string, c *subscribers.Campaign, kind subscribers.BounceKind, source, key string) {
		t.Helper()
		_, err := s.RecordBounce(ctx, subscribers.Bounce{SubscriberID: mustFind(t, s, email).ID, CampaignID: c.ID,
			Kind: kind, Status: "5.7.1", Reason: "Sender address rejected", Source: source, Key: key}, subscribers.BouncePolicy{SoftLimit: 2})
		if err != nil {
			t.Fatal(err)
		}
	}
	bounce("smtp@example.com", c, subscribers.BounceHard, "smtp", "k1")
	bounce("dsn@example.com", c, subscribers.BounceHard, "mail", "k2")
	bounce("soft@example.com", c, subscribers.BounceSoft, "mail", "k3")
	bounce("soft@example.com", c, subscribers.BounceSoft, "mail", "k4") // the second suppresses (SoftLimit 2)
	bounce("webhook@example.com", c, subscribers.BounceHard, "webhook:ses", "k5")
	bounce("complained@example.com", c, subscribers.BounceComplaint, "mail", "k6")
	bounce("other@example.com", other, subscribers.BounceHard, "smtp", "k7")
	if _, err := s.Blocklist(ctx, "blocked@example.com", "admin", "asked"); err != nil {
		t.Fatal(err)
	}
	bounce("blocked@example.com", c, subscribers.BounceHard, "smtp", "k8") // blocklisted ranks above bounced
	unsub := mustFind(t, s, "unsub@example.com")
	if err := s.Unsubscribe(ctx, unsub.ID, l.ID, c.ID, "web", "one-click"); err != nil {
		t.Fatal(err)
	}

	want := []string{"smtp@example.com", "dsn@example.com", "soft@example.com"}
	dry, err := s.Unsuppress(ctx, c.ID, "admin", "relay refused our sender", true)
	if err != nil {
		t.Fatal(err)
	}
	if got := unsuppressedEmails(dry); !equalStrings(got, want) {
		t.Fatalf("dry run = %v; want %v", got, want)
	}
	if st := mustFind(t, s, "smtp@example.com").Status; st != subscribers.StatusBounced {
		t.Fatalf("dry run changed a status: %s", st)
	}
	got, err := s.Unsuppress(ctx, c.ID, "admin", "relay refused our sender", false)
	if err != nil {
		t.Fatal(err)
	}
	if !equalStrings(unsuppressedEmails(got), want) {
		t.Fatalf("restored %v; want %v", unsuppressedEmails(got), want)
	}
	wantStatus := map[string]subscribers.Status{
		"smtp@example.com": subscribers.StatusActive, "dsn@example.com": subscribers.StatusActive,
		"soft@example.com": subscribers.StatusActive, "webhook@example.com": subscribers.StatusBounced,
		"complained@example.com": subscribers.StatusComplained, "blocked@example.com": subscribers.StatusBlocklisted,
		"other@example.com": subscribers.StatusBounced, "unsub@example.com": subscribers.StatusActive,
	}
	for e, st := range wantStatus {
		if got := mustFind(t, s, e).Status; got != st {
			t.Errorf("%s: %s; want %s", e, got, st)
		}
	}
	// The unsubscribe from the list stays.
	if subs := mustFind(t, s, "unsub@example.com").Lists; len(subs) != 1 || subs[0].Status != subscribers.Unsubscribed {
		t.Errorf("unsubscribed member's subscriptions = %+v", subs)
	}
	events, _ := s.Events(ctx, mustFind(t, s, "smtp@example.com").ID)
	last := events[len(events)-1]
	if last.Type != subscribers.EventUnsuppressed || last.Reason != "relay refused our sender" || last.Actor != "admin" ||
		last.CampaignID != c.ID || last.NewStatus != "active" {
		t.Errorf("last event = %+v; want the admin's unsuppress with the reason", last)
	}
	// Again: nobody left to restore.
	if again, err := s.Unsuppress(ctx, c.ID, "admin", "again", false); err != nil || len(again) != 0 {
		t.Errorf("second run = %v, %v; want nobody", unsuppressedEmails(again), err)
	}
	// The soft bounces before the restore no longer count: one more does
	// not suppress at once.
	bounce("soft@example.com", other, subscribers.BounceSoft, "mail", "k9")
	if st := mustFind(t, s, "soft@example.com").Status; st != subscribers.StatusActive {
		t.Errorf("one soft bounce after the restore suppressed again: %s", st)
	}

	if _, err := s.Unsuppress(ctx, c.ID, "admin", " ", false); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("empty reason: %v; want ErrInvalid", err)
	}
	if _, err := s.Unsuppress(ctx, 999, "admin", "x", false); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("unknown campaign: %v; want ErrNotFound", err)
	}
}

func unsuppressedEmails(us []subscribers.Unsuppressed) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

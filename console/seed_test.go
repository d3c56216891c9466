package console_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// seed fills the store with what the pages show: two lists, subscribers
// in every status, and a campaign paused by its relay.
func seed(t *testing.T, tc *testConsole) (clients *subscribers.List, paused *subscribers.Campaign) {
	t.Helper()
	ctx := t.Context()
	s := tc.store
	for i := range 12 {
		lists := []string{"clients"}
		if i%3 == 0 {
			lists = append(lists, "partners")
		}
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: fmt.Sprintf("person%02d@example.com", i),
			Name: fmt.Sprintf("Person %d", i), Lists: lists, Source: "admin", Actor: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Blocklist(ctx, "person01@example.com", "test", "asked"); err != nil {
		t.Fatal(err)
	}
	sub, err := s.FindSubscriberByEmail(ctx, "person02@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Suppress(ctx, sub.ID, subscribers.StatusBounced, 0, "test", "5.1.1"); err != nil {
		t.Fatal(err)
	}
	if clients, err = s.FindListByName(ctx, "clients"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateList(ctx, "clients", subscribers.ListUpdate{Title: ptr("Northwind Security Briefing")}); err != nil {
		t.Fatal(err)
	}
	if paused, err = s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "2026-03-briefing", ListID: clients.ID,
		Subject: "March briefing", IssuePath: "issues/2026-03.md", Snapshot: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndCampaignRun(ctx, paused.ID, time.Second, subscribers.CampaignPaused,
		"the relay refused the sender: 550 5.7.1 sender not allowed"); err != nil {
		t.Fatal(err)
	}
	return clients, paused
}

func ptr[T any](v T) *T { return &v }

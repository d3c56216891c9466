package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestDeleteList: the list and its subscriptions go, the subscribers and
// their history stay; never with a campaign sending, paused or sent.
func TestDeleteList(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "a@example.com", Lists: []string{"clients", "press"},
		Source: "admin", Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteList(ctx, "press", "console:ada@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindListByName(ctx, "press"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("deleted list: %v", err)
	}
	sub, err := s.FindSubscriberByEmail(ctx, "a@example.com")
	if err != nil || len(sub.Lists) != 1 || sub.Lists[0].List != "clients" {
		t.Errorf("subscriber after the delete: %+v, %v; want still on clients", sub, err)
	}
	evs, _ := s.RecentEvents(ctx, 1)
	if len(evs) != 1 || evs[0].Type != subscribers.EventListDeleted || evs[0].Actor != "console:ada@example.com" || evs[0].Reason != "press (1 subscriptions)" {
		t.Errorf("last event = %+v", evs)
	}
	if err := s.DeleteList(ctx, "press", "x"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("deleting again = %v; want ErrNotFound", err)
	}

	l, _ := s.FindListByName(ctx, "clients")
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "s", ListID: l.ID, Subject: "S", IssuePath: "s.md", Snapshot: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []subscribers.CampaignStatus{subscribers.CampaignSending, subscribers.CampaignPaused} {
		if err := s.EndCampaignRun(ctx, c.ID, time.Second, st, ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteList(ctx, "clients", "x"); !errors.Is(err, subscribers.ErrActiveSend) {
			t.Errorf("with a %s campaign: %v; want ErrActiveSend", st, err)
		}
	}
	if err := s.EndCampaignRun(ctx, c.ID, time.Second, subscribers.CampaignFinished, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteList(ctx, "clients", "x"); !errors.Is(err, subscribers.ErrHasCampaigns) {
		t.Errorf("with a finished campaign: %v; want ErrHasCampaigns", err)
	}
	if _, err := s.FindListByName(ctx, "clients"); err != nil {
		t.Errorf("a refused delete removed the list: %v", err)
	}
}

func TestRecordEventAppends(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	if err := s.RecordEvent(ctx, subscribers.Event{ListID: 7, Type: subscribers.EventListCreated, Actor: "console:ada@example.com", Reason: "clients"}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.RecentEvents(ctx, 5)
	if err != nil || len(evs) != 1 || evs[0].ListID != 7 || evs[0].SubscriberID != 0 || evs[0].CreatedAt.IsZero() {
		t.Errorf("RecentEvents = %+v, %v", evs, err)
	}
}

package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestListVisibility(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l, err := s.CreateList(ctx, subscribers.NewList{Name: "clients"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Visibility != subscribers.Private || l.IsPublic() {
		t.Errorf("new list visibility %q; want private by default", l.Visibility)
	}
	pub, err := s.CreateList(ctx, subscribers.NewList{Name: "briefing", Visibility: subscribers.Public})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FindListByID(ctx, pub.ID); !got.IsPublic() {
		t.Errorf("created public list reads back as %q", got.Visibility)
	}
	if _, err := s.CreateList(ctx, subscribers.NewList{Name: "odd", Visibility: "secret"}); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("create with visibility secret: %v; want ErrInvalid", err)
	}
	v := subscribers.Public
	if _, err := s.UpdateList(ctx, "CLIENTS", subscribers.ListUpdate{Visibility: &v}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FindListByName(ctx, "clients")
	if !got.IsPublic() {
		t.Errorf("after set public: %q", got.Visibility)
	}
	title := "Clients"
	if _, err := s.UpdateList(ctx, "clients", subscribers.ListUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	lists, _ := s.FindLists(ctx)
	for _, l := range lists {
		if l.Name == "clients" && !l.IsPublic() {
			t.Errorf("a title change reset the visibility: %+v", l)
		}
	}
	bad := subscribers.Visibility("hidden")
	if _, err := s.UpdateList(ctx, "clients", subscribers.ListUpdate{Visibility: &bad}); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("set visibility hidden: %v; want ErrInvalid", err)
	}
}

func TestArchiveListsStartedCampaignsNewestFirst(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l, _ := s.CreateList(ctx, subscribers.NewList{Name: "briefing", Visibility: subscribers.Public})
	other, _ := s.CreateList(ctx, subscribers.NewList{Name: "other"})
	start := func(slug string, list int64) *subscribers.Campaign {
		c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: slug, ListID: list, Subject: slug, Snapshot: []byte("{}")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartCampaignRun(ctx, c.ID); err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := start("a", l.ID)
	start("b", l.ID)
	c := start("c", l.ID)
	start("x", other.ID)
	if _, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "unsent", ListID: l.ID, Subject: "u", Snapshot: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	// The same issue sent again: the archive shows the newest send once.
	a2 := start("a", l.ID)

	p, err := s.FindArchive(ctx, l.ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 4 || !p.More || len(p.Issues) != 2 || p.Issues[0].CampaignID != a2.ID || p.Issues[1].CampaignID != c.ID {
		t.Errorf("page 1 = %+v; want a (resent), c, more, 4 in all", p)
	}
	if !p.Updated.Equal(p.Issues[0].SentAt) || p.Updated.IsZero() {
		t.Errorf("updated %v; want the newest send %v", p.Updated, p.Issues[0].SentAt)
	}
	p, _ = s.FindArchive(ctx, l.ID, 2, 2)
	if p.More || len(p.Issues) != 2 || p.Issues[1].CampaignID != a.ID {
		t.Errorf("page 2 = %+v; want b, a and no more", p)
	}
	is, err := s.FindArchivedIssue(ctx, l.ID, "a")
	if err != nil || is.CampaignID != a2.ID || is.Slug != "a" {
		t.Errorf("issue a = %+v, %v; want the newest send", is, err)
	}
	for _, slug := range []string{"unsent", "x", "nope"} {
		if _, err := s.FindArchivedIssue(ctx, l.ID, slug); !errors.Is(err, subscribers.ErrNotFound) {
			t.Errorf("issue %s: %v; want ErrNotFound", slug, err)
		}
	}
	empty, _ := s.CreateList(ctx, subscribers.NewList{Name: "empty"})
	if p, err := s.FindArchive(ctx, empty.ID, 0, 10); err != nil || p.Total != 0 || len(p.Issues) != 0 || !p.Updated.IsZero() {
		t.Errorf("empty archive = %+v, %v", p, err)
	}
}

func TestJoinList(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	res, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: "ada@example.com", Lists: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	ada := res.Subscriber.ID
	b, _ := s.CreateList(ctx, subscribers.NewList{Name: "b"})
	a, _ := s.FindListByName(ctx, "a")
	status := func(listID int64) subscribers.SubscriptionStatus {
		sub, _ := s.FindSubscriberByID(ctx, ada)
		for _, l := range sub.Lists {
			if l.ListID == listID {
				return l.Status
			}
		}
		return ""
	}
	if err := s.JoinList(ctx, ada, b.ID, "subscriber", "preferences"); err != nil || status(b.ID) != subscribers.Subscribed {
		t.Fatalf("join b: %v, %s", err, status(b.ID))
	}
	if err := s.JoinList(ctx, ada, b.ID, "subscriber", "preferences"); err != nil {
		t.Errorf("joining again: %v; want nothing to do", err)
	}
	// Unsubscribed from everything, then asking for list a: active, on a only.
	if err := s.Unsubscribe(ctx, ada, 0, 0, "subscriber", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.JoinList(ctx, ada, a.ID, "subscriber", "preferences"); err != nil {
		t.Fatal(err)
	}
	sub, _ := s.FindSubscriberByID(ctx, ada)
	if sub.Status != subscribers.StatusActive || status(a.ID) != subscribers.Subscribed || status(b.ID) != subscribers.Unsubscribed {
		t.Errorf("after rejoining a: %s, a %s, b %s", sub.Status, status(a.ID), status(b.ID))
	}
	evs, _ := s.Events(ctx, ada)
	if last := evs[len(evs)-1]; last.Actor != "subscriber" || last.NewStatus != string(subscribers.StatusActive) {
		t.Errorf("last event = %+v; want the subscriber reactivating", last)
	}
	if err := s.Suppress(ctx, ada, subscribers.StatusBounced, 0, "test", "hard"); err != nil {
		t.Fatal(err)
	}
	if err := s.JoinList(ctx, ada, b.ID, "subscriber", "preferences"); !errors.Is(err, subscribers.ErrSuppressed) {
		t.Errorf("a bounced address joining: %v; want ErrSuppressed", err)
	}
}

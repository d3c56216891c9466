package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

func TestListTitleFallsBackToName(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	l, err := s.CreateList(ctx, subscribers.NewList{Name: "clients", Title: "  Security Chatter  "})
	if err != nil {
		t.Fatal(err)
	}
	if l.Title != "Security Chatter" || l.DisplayName() != "Security Chatter" {
		t.Errorf("created list title %q, display %q; want the trimmed title", l.Title, l.DisplayName())
	}
	plain, err := s.CreateList(ctx, subscribers.NewList{Name: "staff"})
	if err != nil {
		t.Fatal(err)
	}
	if plain.DisplayName() != "staff" {
		t.Errorf("untitled list display name = %q; want its name", plain.DisplayName())
	}

	empty := ""
	if _, err := s.UpdateList(ctx, "CLIENTS", subscribers.ListUpdate{Title: &empty}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FindListByID(ctx, l.ID)
	if got.Title != "" || got.DisplayName() != "clients" {
		t.Errorf("after clearing the title: %+v; want the name shown", got)
	}
	title, desc := "Northwind Briefing", "weekly"
	if _, err := s.UpdateList(ctx, "clients", subscribers.ListUpdate{Title: &title}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateList(ctx, "clients", subscribers.ListUpdate{Description: &desc}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.FindListByName(ctx, "clients")
	if got.Title != title || got.Description != desc {
		t.Errorf("after two updates: %+v; want title %q (kept) and description %q", got, title, desc)
	}
}

func TestListTitleValidation(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	if _, err := s.CreateList(ctx, subscribers.NewList{Name: "clients"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, title, want string
	}{
		{name: "newline", title: "News\r\nBcc: x@example.com", want: "control character"},
		{name: "tab", title: "a\tb", want: "control character"},
		{name: "too long", title: strings.Repeat("é", 201), want: "201 characters"},
		{name: "not utf-8", title: "caf\xe9", want: "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateList(ctx, subscribers.NewList{Name: "x-" + tc.name, Title: tc.title})
			if !errors.Is(err, subscribers.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CreateList(title %q) = %v; want ErrInvalid mentioning %q", tc.title, err, tc.want)
			}
			_, err = s.UpdateList(ctx, "clients", subscribers.ListUpdate{Title: &tc.title})
			if !errors.Is(err, subscribers.ErrInvalid) {
				t.Errorf("UpdateList(title %q) = %v; want ErrInvalid", tc.title, err)
			}
		})
	}
	if l, _ := s.FindListByName(ctx, "clients"); l.Title != "" {
		t.Errorf("a refused update changed the title to %q", l.Title)
	}
	if _, err := s.UpdateList(ctx, "nope", subscribers.ListUpdate{}); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("UpdateList(unknown) = %v; want ErrNotFound", err)
	}
}

func TestRenameListKeepsSubscriptionsAndCampaigns(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	mustImport(t, s, "plain.csv", subscribers.ImportConfig{List: "clients"})
	all, _ := s.FindLists(ctx)
	if len(all) != 1 || all[0].Subscribed == 0 {
		t.Fatalf("lists after import = %+v; want one with subscribers", all)
	}
	before := all[0]
	c, err := s.CreateCampaign(ctx, subscribers.NewCampaign{Slug: "issue-1", ListID: before.ID, Subject: "s",
		IssuePath: "issue.md", Snapshot: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateList(ctx, subscribers.NewList{Name: "staff"}); err != nil {
		t.Fatal(err)
	}

	if _, err := s.RenameList(ctx, "clients", "Staff"); !errors.Is(err, subscribers.ErrExists) {
		t.Errorf("rename onto another list's name = %v; want ErrExists", err)
	}
	if _, err := s.RenameList(ctx, "nope", "x"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("rename unknown = %v; want ErrNotFound", err)
	}
	if _, err := s.RenameList(ctx, "clients", " "); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("rename to blank = %v; want ErrInvalid", err)
	}
	l, err := s.RenameList(ctx, "clients", "northwind-clients")
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != before.ID || l.Name != "northwind-clients" {
		t.Errorf("renamed list = %+v; want id %d, new name", l, before.ID)
	}
	if _, err := s.FindListByName(ctx, "clients"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("old name still found: %v", err)
	}
	// Changing only the case is a rename too, not a clash with itself.
	if _, err := s.RenameList(ctx, "northwind-clients", "Northwind-Clients"); err != nil {
		t.Errorf("case-only rename: %v", err)
	}
	lists, _ := s.FindLists(ctx)
	var got *subscribers.List
	for i := range lists {
		if lists[i].ID == before.ID {
			got = &lists[i]
		}
	}
	if got == nil || got.Name != "Northwind-Clients" || got.Subscribed != before.Subscribed {
		t.Errorf("after rename: %+v; want the same %d subscriptions under the new name", got, before.Subscribed)
	}
	gotC, err := s.FindCampaignByID(ctx, c.ID)
	if err != nil || gotC.ListID != before.ID || gotC.ListName != "Northwind-Clients" || gotC.Recipients != c.Recipients {
		t.Errorf("campaign after rename: %+v, %v; want list %d named Northwind-Clients with %d recipients", gotC, err, before.ID, c.Recipients)
	}
	if latest, err := s.FindLatestCampaign(ctx, "issue-1", before.ID); err != nil || latest.ID != c.ID {
		t.Errorf("FindLatestCampaign after rename = %v, %v; want campaign %d (a resumed send must find it)", latest, err, c.ID)
	}
}

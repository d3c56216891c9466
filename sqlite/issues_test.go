package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/subscribers"
)

// TestIssueHistory: every save that changes the source is a new version
// naming who saved it; saving the same source again adds nothing.
func TestIssueHistory(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	is, err := s.CreateIssue(ctx, "december", subscribers.IssueEdit{Source: "---\nsubject: One\n---\nHi", Subject: "One", Actor: "console:ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if is.Name != "december" || is.CreatedBy != "console:ada@example.com" || is.Versions != 1 ||
		is.Latest.Number != 1 || is.Latest.Subject != "One" || is.Latest.Source != "---\nsubject: One\n---\nHi" || is.Latest.SavedAt.IsZero() {
		t.Fatalf("created issue = %+v", is)
	}
	v, saved, err := s.SaveIssue(ctx, is.ID, subscribers.IssueEdit{Source: "---\nsubject: Two\n---\nHi", Subject: "Two", Actor: "console:bob@example.com"})
	if err != nil || !saved || v.Number != 2 || v.SavedBy != "console:bob@example.com" {
		t.Fatalf("second save = %+v, %v, %v; want version 2 by bob", v, saved, err)
	}
	v, saved, err = s.SaveIssue(ctx, is.ID, subscribers.IssueEdit{Source: "---\nsubject: Two\n---\nHi", Subject: "Two", Actor: "console:carl@example.com"})
	if err != nil || saved || v.Number != 2 || v.SavedBy != "console:bob@example.com" {
		t.Fatalf("same source again = %+v, %v, %v; want version 2 unchanged, not saved", v, saved, err)
	}
	got, err := s.FindIssueByID(ctx, is.ID)
	if err != nil || got.Versions != 2 || got.Latest.Subject != "Two" || !strings.Contains(got.Latest.Source, "Two") {
		t.Fatalf("FindIssueByID = %+v, %v", got, err)
	}
	vs, err := s.FindIssueVersions(ctx, is.ID)
	if err != nil || len(vs) != 2 || vs[0].Number != 2 || vs[1].Number != 1 || vs[1].SavedBy != "console:ada@example.com" || vs[0].Source != "" || vs[0].Size != len("---\nsubject: Two\n---\nHi") {
		t.Fatalf("FindIssueVersions = %+v, %v", vs, err)
	}
	first, err := s.FindIssueVersion(ctx, is.ID, 1)
	if err != nil || first.Subject != "One" || !strings.Contains(first.Source, "One") {
		t.Fatalf("version 1 = %+v, %v", first, err)
	}
	list, err := s.FindIssues(ctx)
	if err != nil || len(list) != 1 || list[0].Latest.Number != 2 || list[0].Latest.Source != "" {
		t.Fatalf("FindIssues = %+v, %v", list, err)
	}
}

func TestIssueRefusals(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	ok := subscribers.IssueEdit{Source: "---\nsubject: S\n---\n", Actor: "test"}
	if _, err := s.CreateIssue(ctx, "a", ok); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		issue string
		edit  subscribers.IssueEdit
		want  error
	}{
		{name: "taken name", issue: "a", edit: ok, want: subscribers.ErrExists},
		{name: "bad name", issue: "Dec Issue!", edit: ok, want: subscribers.ErrInvalid},
		{name: "empty name", issue: "", edit: ok, want: subscribers.ErrInvalid},
		{name: "empty source", issue: "b", edit: subscribers.IssueEdit{Actor: "test"}, want: subscribers.ErrInvalid},
		{name: "oversized source", issue: "c", edit: subscribers.IssueEdit{Source: strings.Repeat("x", subscribers.MaxIssueBytes+1), Actor: "test"}, want: subscribers.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.CreateIssue(ctx, tc.issue, tc.edit); !errors.Is(err, tc.want) {
				t.Errorf("CreateIssue(%q) = %v; want %v", tc.issue, err, tc.want)
			}
		})
	}
	if _, _, err := s.SaveIssue(ctx, 999, ok); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("SaveIssue(unknown) = %v; want ErrNotFound", err)
	}
	if _, _, err := s.SaveIssue(ctx, 1, subscribers.IssueEdit{Actor: "x"}); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("SaveIssue(empty) = %v; want ErrInvalid", err)
	}
	if _, err := s.FindIssueByID(ctx, 999); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("FindIssueByID(unknown) = %v", err)
	}
	if _, err := s.FindIssueVersions(ctx, 999); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("FindIssueVersions(unknown) = %v", err)
	}
	if _, err := s.FindIssueVersion(ctx, 1, 7); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("FindIssueVersion(1, 7) = %v", err)
	}
	if list, _ := s.FindIssues(ctx); len(list) != 1 {
		t.Errorf("after refusals: %d issues; want 1", len(list))
	}
}

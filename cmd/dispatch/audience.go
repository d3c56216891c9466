package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// checkAudience compares the attributes the issue prints with the
// subscribers a new campaign to list would mail, and prints what it finds.
// An attribute no recipient has, without a default, refuses the send:
// everyone would get an empty string, almost always from a misspelt name.
// A resumed campaign is not checked again: it started with this snapshot.
func (a *app) checkAudience(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, list *subscribers.List, recipients int) error {
	checks, err := audienceChecks(ctx, s, issue, list, recipients)
	if err != nil {
		return err
	}
	refused := 0
	for _, c := range checks {
		fmt.Fprintln(a.stderr, checkLine(c))
		if c.Severity == templates.SeverityError {
			refused++
		}
	}
	if refused > 0 {
		return &exitError{code: 1, err: fmt.Errorf("refusing to send to %s: %s empty for every recipient (see above)",
			list.Name, pluralWord(refused, "1 attribute would be", fmt.Sprintf("%d attributes would be", refused)))}
	}
	return nil
}

// adviseAudience prints the attribute checks of a send to list as
// warnings, for a test copy: the editor learns before the real send that
// it would be refused.
func (a *app) adviseAudience(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, list *subscribers.List) error {
	n, err := s.CountActiveMembers(ctx, list.ID)
	if err != nil {
		return err
	}
	checks, err := audienceChecks(ctx, s, issue, list, n)
	if err != nil {
		return err
	}
	for _, c := range templates.Advisory(checks) {
		fmt.Fprintln(a.stderr, checkLine(c))
	}
	return nil
}

// audienceChecks counts the list's attributes, in one query, when the
// issue prints any.
func audienceChecks(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, list *subscribers.List, recipients int) ([]templates.Check, error) {
	if len(issue.Attrs()) == 0 || recipients == 0 {
		return nil, nil
	}
	present, err := s.CountAttributes(ctx, list.ID)
	if err != nil {
		return nil, err
	}
	return issue.CheckAttrs(templates.Audience{Name: list.Name, Recipients: recipients, Present: present}), nil
}

// listAudience counts what the issue's attribute checks need to know about
// a list, for render and preview.
func listAudience(ctx context.Context, s *sqlite.Store, l *subscribers.List) (templates.Audience, error) {
	n, err := s.CountActiveMembers(ctx, l.ID)
	if err != nil {
		return templates.Audience{}, err
	}
	present, err := s.CountAttributes(ctx, l.ID)
	if err != nil {
		return templates.Audience{}, err
	}
	return templates.Audience{Name: l.Name, Recipients: n, Present: present}, nil
}

// attrNote names the attributes an issue prints, for render and preview
// when there is no list to check them against; "" when it prints none.
func attrNote(issue *templates.Compiled) string {
	uses := issue.Attrs()
	if len(uses) == 0 {
		return ""
	}
	parts := make([]string, len(uses))
	for i, u := range uses {
		parts[i] = fmt.Sprintf("%q", u.Name)
		if !u.Fallback {
			parts[i] += " (no default)"
		}
	}
	return fmt.Sprintf("note: the issue prints the attributes %s; with no list to check them against, "+
		"a misspelt one goes out empty. `dispatch send --dry-run --list NAME` checks them.", strings.Join(parts, ", "))
}

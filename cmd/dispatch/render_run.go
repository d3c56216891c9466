package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// renderOptions are the flags of render.
type renderOptions struct {
	htmlOut string // "-" for stdout
	textOut string
	as      string // a subscriber's address
	list    string
}

// render compiles the issue at path, writes it as o.as would receive it
// and prints every check.
func (a *app) render(ctx context.Context, path string, o renderOptions) error {
	listName := o.list
	if listName == "" {
		listName = "clients"
	}
	l, err := a.previewList(ctx, listName)
	if err != nil {
		return err
	}
	if l != nil {
		listName = l.DisplayName()
	}
	is, err := templates.LoadIssue(path)
	if err != nil {
		return a.checkFailure(err)
	}
	c, err := templates.Compile(is, a.templateConfig(listName))
	if err != nil {
		return a.checkFailure(err)
	}
	r, err := a.renderRecipient(ctx, o.as)
	if err != nil {
		return err
	}
	out, err := c.Render(r)
	if err != nil {
		return err
	}
	if o.htmlOut == "" && o.textOut == "" {
		o.htmlOut = "-"
	}
	if err := writeOut(a, o.htmlOut, out.HTML); err != nil {
		return err
	}
	if err := writeOut(a, o.textOut, out.Text); err != nil {
		return err
	}
	warnings := c.Warnings
	if l != nil {
		aud, err := listAudience(ctx, a.store, l)
		if err != nil {
			return err
		}
		warnings = append(warnings, templates.Advisory(c.CheckAttrs(aud))...)
	} else if note := attrNote(c); note != "" {
		fmt.Fprintln(a.stderr, note)
	}
	for _, w := range warnings {
		fmt.Fprintln(a.stderr, checkLine(w))
	}
	fmt.Fprintf(a.stderr, "%s: subject %q, HTML %.1f KB, text %.1f KB; %s\n", path, out.Subject,
		float64(len(out.HTML))/1024, float64(len(out.Text))/1024, plural(len(warnings), "warning", "warnings"))
	return nil
}

// renderRecipient is the subscriber with address as, when the database has
// one, else the sample recipient.
func (a *app) renderRecipient(ctx context.Context, as string) (templates.Recipient, error) {
	r := templates.SampleRecipient()
	var subID int64
	if as != "" {
		r.Email = as
		if s, err := a.openStore(ctx); err == nil {
			if sub, err := s.FindSubscriberByEmail(ctx, as); err == nil {
				r = templates.Recipient{Email: sub.Email, Name: sub.Name, Attributes: sub.Attributes}
				subID = sub.ID
			} else if !errors.Is(err, subscribers.ErrNotFound) {
				return r, err
			} else {
				fmt.Fprintf(a.stderr, "note: %s is not a subscriber; rendering with sample data\n", as)
			}
		} else {
			fmt.Fprintf(a.stderr, "note: %v; rendering with sample data\n", err)
		}
	}
	r.UnsubscribeURL = a.previewUnsubscribeURL(subID)
	r.ManageURL = a.previewManageURL(subID)
	return r, nil
}

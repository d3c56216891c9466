package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/gorilla/feeds"

	"github.com/dispatchhq/dispatch/subscribers"
)

// handleArchiveFeed serves a public list's newest issues as an Atom feed
// (RFC 4287): one entry per issue, linking to its web version.
func (s *Server) handleArchiveFeed(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("list")
	p, err := answer(r.Context(), s.cfg.Store, s.feedAnswers, name, func(ctx context.Context) (*keptBody, error) {
		return s.loadFeed(ctx, name)
	})
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	w.Header()["Cache-Control"] = cachePublic
	p.serve(w, r)
}

// loadFeed writes the feed of the public list called name.
func (s *Server) loadFeed(ctx context.Context, name string) (*keptBody, error) {
	l, err := s.publicList(ctx, name)
	if err != nil {
		return nil, err
	}
	ap, err := s.cfg.Store.FindArchive(ctx, l.ID, 0, s.cfg.ArchivePageSize)
	if err != nil {
		return nil, err
	}
	index := subscribers.ArchiveURL(s.cfg.BaseURL, l.Name, "")
	index = index[:len(index)-1] // no trailing slash: the index itself
	f := &feeds.Feed{
		Title:   l.DisplayName(),
		Link:    &feeds.Link{Href: index + "/feed.atom", Rel: "self"},
		Author:  &feeds.Author{Name: s.cfg.SiteName},
		Updated: ap.Updated,
	}
	if l.Description != "" {
		f.Subtitle = l.Description
	}
	for _, is := range ap.Issues {
		p, err := s.issuePage(ctx, l, is.CampaignID, is.Slug, is.SentAt)
		if err != nil {
			return nil, err
		}
		link := subscribers.ArchiveURL(s.cfg.BaseURL, l.Name, is.Slug)
		f.Items = append(f.Items, &feeds.Item{
			Title:   p.subject,
			Link:    &feeds.Link{Href: link, Rel: "alternate", Type: "text/html"},
			Id:      link,
			Created: is.SentAt,
			Updated: is.SentAt,
		})
	}
	atom, err := f.ToAtom()
	if err != nil {
		return nil, fmt.Errorf("write feed of list %d: %w", l.ID, err)
	}
	k := newKeptBody("application/atom+xml; charset=utf-8", []byte(atom), ap.Updated)
	return &k, nil
}

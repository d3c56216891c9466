package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Cache lifetimes of the archive. Browsers and proxies may keep a page a
// minute, then revalidate it with its ETag (a 304 costs no rendering).
const (
	cachePublic  = "public, max-age=60"
	cachePrivate = "private, max-age=60"
)

// archiveList loads the list a path names, or ErrNotFound.
func (s *Server) archiveList(ctx context.Context, r *http.Request) (*subscribers.List, error) {
	return s.cfg.Store.FindListByName(ctx, r.PathValue("list"))
}

// handleArchiveIssue serves the web version of a sent issue: to anyone
// when the list is public, and otherwise only with the campaign's signed
// key, which the email's link carries. Whatever is wrong (unknown list,
// unknown issue, private list without a key, a key for another issue),
// the answer is the same 404, so nothing can be learnt by guessing.
func (s *Server) handleArchiveIssue(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := s.archiveList(ctx, r)
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	slug := r.PathValue("slug")
	var is *subscribers.ArchivedIssue
	keyed := false
	if k := r.URL.Query().Get(subscribers.ArchiveKeyParam); k != "" {
		is, err = s.keyedIssue(ctx, k, l, slug)
		keyed = err == nil
	}
	if is == nil {
		if !l.IsPublic() {
			s.archiveFail(w, r, subscribers.ErrNotFound)
			return
		}
		if is, err = s.cfg.Store.FindArchivedIssue(ctx, l.ID, slug); err != nil {
			s.archiveFail(w, r, err)
			return
		}
	}
	p, err := s.issuePage(ctx, l, is.CampaignID, is.Slug, is.SentAt)
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", p.csp)
	h.Set("Cache-Control", cachePublic)
	if !l.IsPublic() || keyed {
		h.Set("Cache-Control", cachePrivate)
		h.Set("X-Robots-Tag", "noindex")
	}
	s.serveCacheable(w, r, "text/html; charset=utf-8", p.etag, p.sentAt, p.body)
}

// keyedIssue returns the issue a valid key opens, if it is the one the
// path names.
func (s *Server) keyedIssue(ctx context.Context, key string, l *subscribers.List, slug string) (*subscribers.ArchivedIssue, error) {
	id, err := s.cfg.Tokens.ParseArchive(key)
	if err != nil {
		return nil, err
	}
	c, err := s.cfg.Store.FindCampaignByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.ListID != l.ID || c.Slug != slug || c.StartedAt.IsZero() {
		return nil, subscribers.ErrNotFound
	}
	return &subscribers.ArchivedIssue{CampaignID: c.ID, ListID: c.ListID, Slug: c.Slug, SentAt: c.StartedAt}, nil
}

// issuePage returns the rendered web version of a campaign, rendering it
// on first use.
func (s *Server) issuePage(ctx context.Context, l *subscribers.List, campaignID int64, slug string, sentAt time.Time) (*issuePage, error) {
	key := issueKey{campaignID: campaignID, list: l.Name, public: l.IsPublic()}
	if p := s.issues.get(key); p != nil {
		return p, nil
	}
	c, err := s.cfg.Store.FindCampaignByID(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	// The page links to itself as anyone may open it: with its key only
	// when the list is private.
	self := subscribers.ArchiveURL(s.cfg.BaseURL, l.Name, slug)
	if !l.IsPublic() {
		self = s.cfg.Tokens.ArchiveLink(s.cfg.BaseURL, l.Name, slug, campaignID)
	}
	wi, err := s.cfg.RenderIssue(c.Snapshot, self, s.manageFormURL())
	if err != nil {
		return nil, fmt.Errorf("render web version of campaign %d: %w", campaignID, err)
	}
	p := newIssuePage(wi.HTML, wi.Subject, sentAt)
	s.issues.put(key, p)
	return p, nil
}

// manageFormURL is the page that asks for an address and mails a manage
// link: where a web version's personal links lead.
func (s *Server) manageFormURL() string {
	if s.cfg.BaseURL == "" {
		return s.prefix + "/manage"
	}
	return trimSlash(s.cfg.BaseURL) + "/manage"
}

// archiveItem is one issue in the index.
type archiveItem struct {
	Subject string
	URL     string
	Date    string // as shown
	ISODate string // for <time datetime>
}

// handleArchiveIndex lists a public list's sent issues, newest first,
// ArchivePageSize to a page (?page=2 …).
func (s *Server) handleArchiveIndex(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := s.archiveList(ctx, r)
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	if !l.IsPublic() {
		s.archiveFail(w, r, subscribers.ErrNotFound)
		return
	}
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 || page > 1_000_000 {
			s.archiveFail(w, r, subscribers.ErrNotFound)
			return
		}
	}
	size := s.cfg.ArchivePageSize
	ap, err := s.cfg.Store.FindArchive(ctx, l.ID, (page-1)*size, size)
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	if page > 1 && len(ap.Issues) == 0 {
		s.archiveFail(w, r, subscribers.ErrNotFound)
		return
	}
	items, err := s.archiveItems(ctx, l, ap)
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	base := s.prefix + "/archive/" + url.PathEscape(l.Name)
	d := pageData{Title: l.DisplayName(), ListName: l.DisplayName(), Issues: items, Indexable: true,
		FeedURL: base + "/feed.atom", Total: ap.Total}
	if page > 1 {
		d.NewerURL = base
		if page > 2 {
			d.NewerURL += "?page=" + strconv.Itoa(page-1)
		}
	}
	if ap.More {
		d.OlderURL = base + "?page=" + strconv.Itoa(page+1)
	}
	body, err := s.execute(pageArchive, d)
	if err != nil {
		s.archiveFail(w, r, fmt.Errorf("render archive of list %d: %w", l.ID, err))
		return
	}
	w.Header().Set("Cache-Control", cachePublic)
	s.serveCacheable(w, r, "text/html; charset=utf-8", etagOf(body), ap.Updated, body)
}

// archiveItems describes a page of issues, rendering any not yet cached.
func (s *Server) archiveItems(ctx context.Context, l *subscribers.List, ap *subscribers.ArchivePage) ([]archiveItem, error) {
	items := make([]archiveItem, 0, len(ap.Issues))
	for _, is := range ap.Issues {
		p, err := s.issuePage(ctx, l, is.CampaignID, is.Slug, is.SentAt)
		if err != nil {
			return nil, err
		}
		items = append(items, archiveItem{
			Subject: p.subject,
			URL:     s.prefix + "/archive/" + url.PathEscape(l.Name) + "/" + url.PathEscape(is.Slug),
			Date:    is.SentAt.UTC().Format("2 January 2006"),
			ISODate: is.SentAt.UTC().Format(time.RFC3339),
		})
	}
	return items, nil
}

// serveCacheable writes body with its validators and answers a
// revalidation that matches with 304 (http.ServeContent applies
// If-None-Match before If-Modified-Since, as RFC 9110 says, and handles
// HEAD and ranges).
func (s *Server) serveCacheable(w http.ResponseWriter, r *http.Request, contentType, etag string, modified time.Time, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", modified.UTC().Truncate(time.Second), bytes.NewReader(body))
}

func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// archiveFail shows the archive's answer to err: one 404 for whatever was
// not found or not allowed (an unknown list or issue, a private list, a
// bad key), so guessing tells nothing; anything else as fail does.
func (s *Server) archiveFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, subscribers.ErrNotFound) || errors.Is(err, subscribers.ErrInvalidToken) {
		s.message(w, r, http.StatusNotFound, titleNotFound, textNotFound...)
		return
	}
	s.archiveFail(w, r, err)
}

package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
)

// issueRef is what a web version's answer depends on in its request.
type issueRef struct {
	list, slug string
	// keyed is the campaign a valid key in the query names; 0 without one.
	keyed int64
}

// issueAnswer is what a web version's path shows: a page, or a redirect.
type issueAnswer struct {
	page  *issuePage
	keyed bool // opened by its key: not for indexing or shared caches
	// moved is where the issue a valid key opens lives now, when the path
	// names another list: the list was renamed since the email was sent.
	moved string
}

// handleArchiveIssue serves the web version of a sent issue: to anyone
// when the list is public, and otherwise only with the campaign's signed
// key, which the email's link carries. Whatever is wrong (unknown list,
// unknown issue, private list without a key, a key for another issue),
// the answer is the same 404, so nothing can be learnt by guessing.
func (s *Server) handleArchiveIssue(w http.ResponseWriter, r *http.Request) {
	ref := issueRef{list: r.PathValue("list"), slug: r.PathValue("slug")}
	if r.URL.RawQuery != "" {
		if k := r.URL.Query().Get(subscribers.ArchiveKeyParam); k != "" {
			// A bad key is as no key: the issue may still be public.
			ref.keyed, _ = s.cfg.Tokens.ParseArchive(k)
		}
	}
	a, err := answer(r.Context(), s.cfg.Store, s.issueAnswers, ref, func(ctx context.Context) (*issueAnswer, error) {
		return s.loadIssue(ctx, ref)
	})
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	if a.moved != "" {
		// Found, not Moved Permanently: the old name may come back, for
		// this list or another one.
		http.Redirect(w, r, a.moved, http.StatusFound)
		return
	}
	h := w.Header()
	h["Content-Security-Policy"] = a.page.csp
	h["Cache-Control"] = cachePublic
	if a.keyed { // every private issue is opened by its key
		h["Cache-Control"] = cachePrivate
		h["X-Robots-Tag"] = noindex
	}
	a.page.serve(w, r)
}

// loadIssue reads what the web version's path shows. A valid key opens
// its own campaign's issue on any list; without one (or with a key for
// another issue) only a public list's issues open. A valid key on a path
// whose list is not its campaign's, where no public issue answers either,
// redirects to the issue under its list's present name: old emails' links
// keep working after a rename, and the answer depends only on the key,
// never on whether the path's list exists.
func (s *Server) loadIssue(ctx context.Context, ref issueRef) (*issueAnswer, error) {
	l, err := s.cfg.Store.FindListByName(ctx, ref.list)
	if err != nil && !errors.Is(err, subscribers.ErrNotFound) {
		return nil, err
	}
	var keyed *subscribers.Campaign
	if ref.keyed != 0 {
		c, err := s.cfg.Store.FindCampaignByID(ctx, ref.keyed)
		switch {
		case errors.Is(err, subscribers.ErrNotFound):
		case err != nil:
			return nil, err
		case c.Slug == ref.slug && !c.StartedAt.IsZero():
			keyed = c
		}
	}
	if keyed != nil && l != nil && keyed.ListID == l.ID {
		p, err := s.issuePage(ctx, l, keyed.ID, keyed.Slug, keyed.StartedAt)
		if err != nil {
			return nil, err
		}
		return &issueAnswer{page: p, keyed: true}, nil
	}
	if l != nil && l.IsPublic() {
		is, err := s.cfg.Store.FindArchivedIssue(ctx, l.ID, ref.slug)
		switch {
		case err == nil:
			p, err := s.issuePage(ctx, l, is.CampaignID, is.Slug, is.SentAt)
			if err != nil {
				return nil, err
			}
			return &issueAnswer{page: p}, nil
		case !errors.Is(err, subscribers.ErrNotFound):
			return nil, err
		}
	}
	if keyed != nil {
		home, err := s.cfg.Store.FindListByID(ctx, keyed.ListID)
		if err != nil {
			return nil, err
		}
		return &issueAnswer{moved: s.prefix + "/archive/" + url.PathEscape(home.Name) + "/" + url.PathEscape(keyed.Slug) +
			"?" + subscribers.ArchiveKeyParam + "=" + s.cfg.Tokens.Archive(keyed.ID)}, nil
	}
	return nil, fmt.Errorf("issue %q of list %q: %w", ref.slug, ref.list, subscribers.ErrNotFound)
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

// indexRef names one page of a list's archive.
type indexRef struct {
	list string
	page int
}

// handleArchiveIndex lists a public list's sent issues, newest first,
// ArchivePageSize to a page (?page=2 …).
func (s *Server) handleArchiveIndex(w http.ResponseWriter, r *http.Request) {
	ref := indexRef{list: r.PathValue("list"), page: 1}
	if v := r.URL.Query().Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			s.archiveFail(w, r, subscribers.ErrNotFound)
			return
		}
		ref.page = n
	}
	p, err := answer(r.Context(), s.cfg.Store, s.indexAnswers, ref, func(ctx context.Context) (*keptBody, error) {
		return s.loadIndex(ctx, ref)
	})
	if err != nil {
		s.archiveFail(w, r, err)
		return
	}
	w.Header()["Cache-Control"] = cachePublic
	p.serve(w, r)
}

// loadIndex renders one page of a public list's archive.
func (s *Server) loadIndex(ctx context.Context, ref indexRef) (*keptBody, error) {
	l, err := s.publicList(ctx, ref.list)
	if err != nil {
		return nil, err
	}
	size := s.cfg.ArchivePageSize
	ap, err := s.cfg.Store.FindArchive(ctx, l.ID, (ref.page-1)*size, size)
	if err != nil {
		return nil, err
	}
	if ref.page > 1 && len(ap.Issues) == 0 {
		return nil, fmt.Errorf("page %d of the archive of list %d: %w", ref.page, l.ID, subscribers.ErrNotFound)
	}
	items, err := s.archiveItems(ctx, l, ap)
	if err != nil {
		return nil, err
	}
	base := s.prefix + "/archive/" + url.PathEscape(l.Name)
	d := pageData{Title: l.DisplayName(), ListName: l.DisplayName(), Issues: items, Indexable: true,
		FeedURL: base + "/feed.atom", Total: ap.Total}
	if ref.page > 1 {
		d.NewerURL = base
		if ref.page > 2 {
			d.NewerURL += "?page=" + strconv.Itoa(ref.page-1)
		}
	}
	if ap.More {
		d.OlderURL = base + "?page=" + strconv.Itoa(ref.page+1)
	}
	body, err := s.execute(pageArchive, d)
	if err != nil {
		return nil, fmt.Errorf("render archive of list %d: %w", l.ID, err)
	}
	k := newKeptBody("text/html; charset=utf-8", body, ap.Updated)
	return &k, nil
}

// publicList is the list called name if it is public, else ErrNotFound.
func (s *Server) publicList(ctx context.Context, name string) (*subscribers.List, error) {
	l, err := s.cfg.Store.FindListByName(ctx, name)
	if err != nil {
		return nil, err
	}
	if !l.IsPublic() {
		return nil, fmt.Errorf("list %q is private: %w", name, subscribers.ErrNotFound)
	}
	return l, nil
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
	s.fail(w, r, err)
}

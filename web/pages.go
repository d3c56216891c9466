package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
)

//go:embed pages/*.html pages/style.css
var pageFS embed.FS

// Page template names, one file each under pages/.
const (
	pageConfirm       = "confirm.html"
	pageUnsubscribed  = "unsubscribed.html"
	pageResubscribed  = "resubscribed.html"
	pageMessage       = "message.html"
	pageArchive       = "archive.html"
	pageManage        = "manage.html"
	pageManageRequest = "manage_request.html"
	pageManageConfirm = "manage_confirm.html"
	pageSubscribe     = "subscribe.html"
	pageSubConfirm    = "subscribe_confirm.html"
)

// pages holds the parsed page templates and the one stylesheet they inline.
type pages struct {
	tmpl    map[string]*template.Template
	css     template.CSS
	cssHash string // CSP source for the inline stylesheet: 'sha256-…'
}

func loadPages() (*pages, error) {
	css, err := pageFS.ReadFile("pages/style.css")
	if err != nil {
		return nil, fmt.Errorf("read stylesheet: %w", err)
	}
	sum := sha256.Sum256(css)
	p := &pages{
		tmpl:    map[string]*template.Template{},
		css:     template.CSS(css),
		cssHash: "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
	}
	for _, name := range []string{pageConfirm, pageUnsubscribed, pageResubscribed, pageMessage, pageArchive,
		pageManage, pageManageRequest, pageManageConfirm, pageSubscribe, pageSubConfirm} {
		t, err := template.ParseFS(pageFS, "pages/layout.html", "pages/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// pageData is what every page template sees. Pages use the fields they need.
type pageData struct {
	Title    string // the <h1> and <title>
	SiteName string
	CSS      template.CSS

	Email    string // masked address
	ListName string
	AllLists bool // the page is about every list, not ListName
	Already  bool // nothing to unsubscribe: the person had already left

	Action            string // form target of the confirm page
	ResubscribeAction string
	Scope             string // "list" or "all", carried to the resubscribe form

	Lines []string // paragraphs of the message page

	// The archive index.
	Issues    []archiveItem
	Total     int
	NewerURL  string
	OlderURL  string
	FeedURL   string // the list's Atom feed, announced in the head
	Indexable bool   // search engines may index the page (public archive)

	// The preference centre.
	ManageURL  string // a fresh manage link, offered on the unsubscribe pages
	Name       string
	Lists      []manageList
	Others     int  // subscriptions to lists that are not public
	Suppressed bool // the address bounced, complained or is blocklisted
	Error      string
	Hidden     []hiddenField
	Button     string
	Danger     bool
	BackURL    string

	// The subscribe form (Error is shared with the preference centre).
	Stamp     string // signed time the form was served
	Typed     string // what was typed, shown again with Error
	TypedName string
	Consent   string // the consent wording
}

// render writes a page with status. It renders into a buffer first so that
// a template error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	page, err := s.execute(name, d)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("Something went wrong on our side. Please try again later.\n"))
		return
	}
	s.writePage(w, r, status, page)
}

// execute renders a page into memory.
func (s *Server) execute(name string, d pageData) ([]byte, error) {
	d.SiteName, d.CSS = s.cfg.SiteName, s.pages.css
	var buf bytes.Buffer
	if err := s.pages.tmpl[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writePage sends a rendered page.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, status int, page []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(page)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(page)
	}
}

// message renders the generic page: a title and a few paragraphs.
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, title string, lines ...string) {
	s.render(w, r, status, pageMessage, pageData{Title: title, Lines: lines})
}

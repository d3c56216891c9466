package console

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/accounts"
	"github.com/dispatchhq/dispatch/internal/httpserve"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

//go:embed templates/*.html static/*
var assets embed.FS

// viewNames are the page templates, one file each under templates/. Each
// is parsed with layout.html and partials.html.
var viewNames = []string{
	"message.html",
	"login.html",
	"login_code.html",
	"dashboard.html",
	"lists.html",
	"list.html",
	"subscribers.html",
	"subscriber.html",
	"suppressions.html",
	"account.html",
	"account_2fa.html",
	"imports.html",
	"import_mapping.html",
	"import_run.html",
	"campaign_clicks.html",
	"issues.html",
	"issue.html",
	"issue_version.html",
	"issue_send.html",
	"campaigns.html",
	"campaign.html",
}

// navItem is one entry of the main navigation.
type navItem struct {
	Key   string // matched against page.Nav to mark the current page
	Label string
	Path  string
}

// navItems is the main navigation, in order.
var navItems = []navItem{
	{Key: "dashboard", Label: "Dashboard", Path: "/"},
	{Key: "lists", Label: "Lists", Path: "/lists"},
	{Key: "subscribers", Label: "Subscribers", Path: "/subscribers"},
	{Key: "suppressions", Label: "Suppressions", Path: "/suppressions"},
	{Key: "imports", Label: "Import", Path: "/imports"},
	{Key: "issues", Label: "Issues", Path: "/issues"},
	{Key: "campaigns", Label: "Campaigns", Path: "/campaigns"},
}

type views struct {
	tmpl map[string]*template.Template
}

func loadViews() (*views, error) {
	v := &views{tmpl: map[string]*template.Template{}}
	for _, name := range viewNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets,
			"templates/layout.html", "templates/partials.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse console page %s: %w", name, err)
		}
		v.tmpl[name] = t
	}
	return v, nil
}

// funcs are the template helpers. Links are built with the view's Path
// method, which knows the base URL's prefix.
var funcs = template.FuncMap{
	"num":  formatNum,
	"date": func(t time.Time) string { return dateOr(t, "2006-01-02") },
	"time": func(t time.Time) string { return dateOr(t, "2006-01-02 15:04 MST") },
	// suppressed counts a list's members who are subscribed but never
	// mailed (bounced, complained, blocklisted, unsubscribed everywhere).
	"suppressed": func(l subscribers.List) int { return l.Subscribed - l.Active },
	"pct": func(n, of int) string {
		if of == 0 {
			return "0%"
		}
		return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
	},
	// Campaigns.
	"bounced": func(st subscribers.CampaignStats) int { return st.HardBounces + st.SoftBounces },
	"done":    func(st subscribers.CampaignStats) int { return st.Sent + st.Failed + st.Skipped },
	"rate":    rateText,
	// subject shows a subject template's placeholders by name.
	"subject": templates.SubjectDisplay,
}

func dateOr(t time.Time, layout string) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(layout)
}

// formatNum writes n with thousands separators: 1,234,567.
func formatNum(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// view is what every template sees.
type view struct {
	Title    string
	Nav      string // the navItem.Key of the current page
	SiteName string
	Prefix   string
	User     *accounts.User
	CSRF     string
	Notice   string // one-time notice from the previous action
	Error    string // what went wrong with the form on this page
	NavItems []navItem
	Data     any
}

// Path is the URL of a console path (which starts with "/").
func (v *view) Path(p string) string { return v.Prefix + p }

// page is what a handler asks to render.
type page struct {
	Status int // 0 means 200
	Name   string
	Title  string
	Nav    string
	Error  string
	Data   any
}

// render writes a page. It renders into a buffer first so that a
// template error becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, p page) {
	t := s.views.tmpl[p.Name]
	if t == nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render console page: unknown template", "page", p.Name)
		http.Error(w, "unknown page", http.StatusInternalServerError)
		return
	}
	v := &view{Title: p.Title, Nav: p.Nav, SiteName: s.cfg.SiteName, Prefix: s.prefix, Error: p.Error,
		NavItems: navItems, Data: p.Data}
	if a := authOf(r); a != nil {
		v.User, v.CSRF = a.user, a.sess.CSRFToken
		v.Notice = s.takeNotice(w, r)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render console page", "page", p.Name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.Status == 0 {
		p.Status = http.StatusOK
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(buf.Bytes())
}

// message renders a page of text: errors, refusals, not found.
func (s *Server) message(w http.ResponseWriter, r *http.Request, status int, title string, lines ...string) {
	s.render(w, r, page{Status: status, Name: "message.html", Title: title, Data: lines})
}

// fail answers an error from the domain: a missing row is a 404, bad
// input a 422 with the error's text; anything else is logged and shown
// as a 500 without internals.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, subscribers.ErrNotFound), errors.Is(err, accounts.ErrNotFound):
		s.message(w, r, http.StatusNotFound, "Not found", "It may have been deleted or renamed.")
	default:
		s.cfg.Logger.ErrorContext(r.Context(), "console request failed", "route", httpserve.Route(r), "err", err)
		s.message(w, r, http.StatusInternalServerError, "Something went wrong",
			"The console hit an error and logged it. Try again; if it keeps happening, check the server log.")
	}
}

const noticeCookie = "dispatch_notice"

// redirect ends an action: it sends the browser to path with a one-time
// notice shown on the next page (post/redirect/get, so a reload does not
// repeat the action).
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, path, notice string) {
	if notice != "" {
		s.setCookie(w, noticeCookie, base64.RawURLEncoding.EncodeToString([]byte(notice)), 60)
	}
	http.Redirect(w, r, s.path(path), http.StatusSeeOther)
}

func (s *Server) takeNotice(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(noticeCookie)
	if err != nil {
		return ""
	}
	s.setCookie(w, noticeCookie, "", -1)
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(b) || len(b) > 500 {
		return ""
	}
	return string(b)
}

// path is the URL path of a console path.
func (s *Server) path(p string) string { return s.prefix + p }

// handleStatic serves the embedded stylesheet and script.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(assets, "static/"+name)
	if err != nil || (!strings.HasSuffix(name, ".css") && !strings.HasSuffix(name, ".js")) {
		http.NotFound(w, r)
		return
	}
	ctype := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ctype = "text/javascript; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(b)
}

// handleHealth answers 200 "ok" while the database answers.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.cfg.Store.Ping(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

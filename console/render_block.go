package console

import (
	"bytes"
	"net/http"
)

// renderBlock writes one named block of a page's template without the
// layout: the part of a page that htmx replaces. The block sees the same
// view as the page (without the one-time notice, which the page shows).
func (s *Server) renderBlock(w http.ResponseWriter, r *http.Request, name, block string, data any) {
	t := s.views.tmpl[name]
	if t == nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render console block: unknown template", "page", name)
		http.Error(w, "unknown page", http.StatusInternalServerError)
		return
	}
	v := &view{SiteName: s.cfg.SiteName, Prefix: s.prefix, NavItems: navItems, Data: data}
	if a := authOf(r); a != nil {
		v.User, v.CSRF = a.user, a.sess.CSRFToken
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render console block", "page", name, "block", block, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

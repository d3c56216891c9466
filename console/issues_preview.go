package console

import (
	"net/http"
)

// previewCSP lets an issue's HTML show as a mail client would show it,
// and nothing more: no script of any kind runs (sandbox without
// allow-scripts, and no script source), no form posts, no plugin loads;
// only this console may frame it. Styles are the issue's own inline CSS;
// images may come from anywhere, as in a mail client.
const previewCSP = "sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; " +
	"img-src https: http: data:; font-src https: data:; form-action 'none'; base-uri 'none'; frame-ancestors 'self'"

// handlePreviewShow serves a rendered issue for the editor's sandboxed
// iframes.
func (s *Server) handlePreviewShow(w http.ResponseWriter, r *http.Request) {
	html, ok := s.previews.get(r.PathValue("key"), s.cfg.Now())
	if !ok {
		w.Header().Set("Content-Security-Policy", previewCSP)
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("This preview has expired: press Preview again."))
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", previewCSP)
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(html)
}

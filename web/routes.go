package web

import (
	"context"
	"net/http"
	"time"
)

// routes builds the handler. Every route sits under the BaseURL's path.
func (s *Server) routes() http.Handler {
	p := s.prefix
	page := func(h http.HandlerFunc) http.Handler { return s.guard(s.pageLimit, s.cfg.MaxBodyBytes, h) }

	mux := http.NewServeMux()
	mux.Handle("GET "+p+"/u/{token}", page(s.handleConfirm))
	// The unsubscribe POST picks its rate limit itself: one-click POSTs
	// with a valid link get their own, higher one.
	mux.Handle("POST "+p+"/u/{token}", s.limitBody(s.cfg.MaxBodyBytes, s.handleUnsubscribe))
	// Resubscribing is only ever done from our own page. Unsubscribing is
	// not checked: RFC 8058 one-click POSTs come from mail providers, and
	// so cross-site by nature.
	mux.Handle("POST "+p+"/u/{token}/resubscribe", page(s.sameOrigin(s.handleResubscribe)))
	mux.Handle("GET "+p+"/healthz", page(s.handleHealth))
	mux.Handle("GET "+p+"/manage", page(s.handleManageForm))
	mux.Handle("POST "+p+"/manage", page(s.sameOrigin(s.handleManageRequest)))
	mux.Handle("GET "+p+"/manage/{token}", page(s.handleManage))
	mux.Handle("POST "+p+"/manage/{token}/{action}", page(s.sameOrigin(s.handleManageAction)))
	if s.cfg.RenderIssue != nil {
		archive := func(h http.HandlerFunc) http.Handler { return s.guard(s.archLimit, s.cfg.MaxBodyBytes, h) }
		mux.Handle("GET "+p+"/archive/{list}", archive(s.handleArchiveIndex))
		mux.Handle("GET "+p+"/archive/{list}/feed.atom", archive(s.handleArchiveFeed))
		mux.Handle("GET "+p+"/archive/{list}/{slug}", archive(s.handleArchiveIssue))
	}
	if s.cfg.Mail != nil {
		mux.Handle("GET "+p+"/subscribe/{list}", page(s.handleSubscribeForm))
		// Subscribe POSTs come from the hosted form and from forms
		// embedded on the sender's own site, so they are cross-site by
		// nature; they pick their rate limits themselves.
		mux.Handle("POST "+p+"/subscribe/{list}", s.limitBody(s.cfg.MaxBodyBytes, s.handleSubscribe))
		mux.Handle("GET "+p+"/subscribe/confirm/{token}", page(s.handleConfirmPage))
		mux.Handle("POST "+p+"/subscribe/confirm/{token}", page(s.sameOrigin(s.handleSubscribeConfirm)))
	}
	if s.cfg.Webhooks != nil {
		mux.Handle("POST "+p+"/webhooks/{provider}",
			s.guard(s.hookLimit, s.cfg.MaxWebhookBodyBytes, s.handleWebhook))
	}
	mux.Handle("/", page(func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusNotFound, titleNotFound, textNotFound...)
	}))
	return s.tracked(s.accessLog(s.secure(s.recoverPanics(mux))))
}

// handleHealth answers 200 "ok" while the database answers, else 503.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.cfg.Store.Ping(ctx); err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "health check failed", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

package console

import (
	"net/http"
)

// routes builds the handler. Every route sits under the BaseURL's path.
// The public routes are listed here and nowhere else: the login steps,
// the stylesheet and script, and /healthz. Every other route needs a
// logged-in user (page), and every change a CSRF token too (action).
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.prefix

	// Public.
	mux.HandleFunc("GET "+p+"/login", s.handleLoginShow)
	mux.Handle("POST "+p+"/login", s.limitBody(s.handleLoginCheck))
	mux.HandleFunc("GET "+p+"/login/code", s.handleCodeShow)
	mux.Handle("POST "+p+"/login/code", s.limitBody(s.handleCodeCheck))
	mux.HandleFunc("GET "+p+"/static/{file}", s.handleStatic)
	mux.HandleFunc("GET "+p+"/healthz", s.handleHealth)

	// Logged in.
	s.page(mux, "GET "+p+"/{$}", s.handleDashboardShow)
	s.action(mux, "POST "+p+"/logout", s.handleLogout)

	s.page(mux, "GET "+p+"/lists", s.handleListsShow)
	s.action(mux, "POST "+p+"/lists", s.handleListCreate)
	s.page(mux, "GET "+p+"/lists/{id}", s.handleListShow)
	s.action(mux, "POST "+p+"/lists/{id}/rename", s.handleListRename)
	s.action(mux, "POST "+p+"/lists/{id}/delete", s.handleListDelete)

	s.page(mux, "GET "+p+"/subscribers", s.handleSubscribersShow)
	s.page(mux, "GET "+p+"/subscribers/export.csv", s.handleSubscribersExport)
	s.action(mux, "POST "+p+"/subscribers", s.handleSubscriberAdd)
	s.page(mux, "GET "+p+"/subscribers/{id}", s.handleSubscriberShow)
	s.action(mux, "POST "+p+"/subscribers/{id}/edit", s.handleSubscriberEdit)
	s.action(mux, "POST "+p+"/subscribers/{id}/lists", s.handleSubscriberJoin)
	s.action(mux, "POST "+p+"/subscribers/{id}/lists/{list}/remove", s.handleSubscriberLeave)
	s.action(mux, "POST "+p+"/subscribers/{id}/blocklist", s.handleSubscriberBlocklist)
	s.action(mux, "POST "+p+"/subscribers/{id}/remove", s.handleSubscriberRemove)

	s.page(mux, "GET "+p+"/suppressions", s.handleSuppressionsShow)
	s.action(mux, "POST "+p+"/suppressions", s.handleSuppressionsBlocklist)

	s.page(mux, "GET "+p+"/imports", s.handleImportsShow)
	s.upload(mux, "POST "+p+"/imports/upload", s.maxUploadBody(), s.handleImportUpload)
	s.page(mux, "GET "+p+"/imports/mapping", s.handleImportMapping)
	s.action(mux, "POST "+p+"/imports/mapping", s.handleImportStart)
	s.page(mux, "GET "+p+"/imports/{id}", s.handleImportShow)
	s.page(mux, "GET "+p+"/imports/{id}/progress", s.handleImportProgress)
	s.page(mux, "GET "+p+"/imports/{id}/invalid.csv", s.handleImportInvalid)

	s.page(mux, "GET "+p+"/campaigns/{id}/clicks", s.handleCampaignClicksShow)
	s.page(mux, "GET "+p+"/campaigns/{id}/clicks.csv", s.handleCampaignClicksCSV)
	s.page(mux, "GET "+p+"/campaigns", s.handleCampaignsShow)
	s.page(mux, "GET "+p+"/campaigns/{id}", s.handleCampaignShow)
	s.page(mux, "GET "+p+"/campaigns/{id}/progress", s.handleCampaignProgress)
	s.page(mux, "GET "+p+"/campaigns/{id}/report.csv", s.handleCampaignExport)
	s.action(mux, "POST "+p+"/campaigns/{id}/pause", s.handleCampaignPause)
	s.action(mux, "POST "+p+"/campaigns/{id}/resume", s.handleCampaignResume)
	s.action(mux, "POST "+p+"/campaigns/{id}/cancel", s.handleCampaignCancel)

	s.page(mux, "GET "+p+"/issues", s.handleIssuesShow)
	s.action(mux, "POST "+p+"/issues", s.handleIssueCreate)
	s.upload(mux, "POST "+p+"/issues/upload", maxIssueUpload, s.handleIssueUpload)
	s.page(mux, "GET "+p+"/previews/{key}", s.handlePreviewShow)
	s.page(mux, "GET "+p+"/issues/{id}", s.handleIssueShow)
	s.action(mux, "POST "+p+"/issues/{id}", s.handleIssueEdit)
	s.page(mux, "GET "+p+"/issues/{id}/versions/{n}", s.handleIssueVersionShow)
	s.action(mux, "POST "+p+"/issues/{id}/test", s.handleIssueTestSend)
	s.page(mux, "GET "+p+"/issues/{id}/send", s.handleIssueSendShow)
	s.action(mux, "POST "+p+"/issues/{id}/send", s.handleIssueSend)

	s.page(mux, "GET "+p+"/account", s.handleAccountShow)
	s.action(mux, "POST "+p+"/account/password", s.handlePasswordChange)
	s.action(mux, "POST "+p+"/account/2fa/setup", s.handleTwoFactorSetup)
	s.action(mux, "POST "+p+"/account/2fa/enable", s.handleTwoFactorEnable)
	s.action(mux, "POST "+p+"/account/2fa/disable", s.handleTwoFactorDisable)

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.message(w, r, http.StatusNotFound, "Page not found", "There is no page at this address.")
	})
	return s.accessLog(s.headers(s.recoverPanics(s.xorigin.Handler(mux))))
}

// page registers a page that needs a logged-in user.
func (s *Server) page(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.Handle(pattern, s.requireUser(h))
}

// action registers a change: it needs a logged-in user and the session's
// CSRF token, and its body is limited to MaxBodyBytes (a handler that
// takes uploads raises its own limit with http.MaxBytesReader before
// reading).
func (s *Server) action(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	mux.Handle(pattern, s.requireUser(s.checkCSRF(h)))
}

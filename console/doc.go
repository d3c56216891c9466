// Package console is the admin console: a server-rendered web interface
// on its own private listener (admin.listen), separate from the public
// server in package web. It calls the same package code as the CLI
// (accounts for logins, the store's domain methods for lists and
// subscribers) and holds no domain rules of its own.
//
// # Security, in one place each
//
//   - Sessions (session.go): server-side rows keyed by the SHA-256 of a
//     256-bit id; the cookie is HttpOnly, SameSite=Strict, and Secure (with
//     the __Host- prefix) when admin.base_url is https. Idle timeout and
//     absolute lifetime are enforced by accounts.Service.Session.
//   - CSRF (csrf.go): every non-GET request must carry the session's token
//     (form field "csrf" or header X-CSRF-Token) and pass Go's
//     http.CrossOriginProtection (Sec-Fetch-Site / Origin). The login form,
//     which has no session yet, carries a double-submit cookie token.
//   - CSP and headers (middleware.go): scripts and styles from 'self' only,
//     no inline script, no framing.
//   - Public routes (routes.go): only /login, /login/code, /static/ and
//     /healthz; every other route needs a full session.
//   - Login throttling (throttle.go): per client IP and per typed address.
//
// # Adding a page
//
// One small file per action, named noun then verb (lists_show.go,
// lists_create.go). For a page "widgets":
//
// Template: write templates/widgets.html defining {{define "content"}} …
// {{end}} and add "widgets.html" to viewNames in render.go. The template
// sees a [view]: .Data is what the handler passed, .Title, .User the
// logged-in account, .CSRF the token, and {{.Path "/widgets"}} builds a
// link under the base URL's prefix (inside {{with .Data}} use $.Path).
// Every form that posts includes {{template "csrf" $}}.
//
// Handler: a method on *Server that reads, calls the domain through
// Store (config.go; add the methods you need there) and renders:
//
//	func (s *Server) handleWidgetsShow(w http.ResponseWriter, r *http.Request) {
//		ws, err := s.cfg.Store.FindWidgets(r.Context())
//		if err != nil {
//			s.fail(w, r, err) // 404 for ErrNotFound, else a logged 500
//			return
//		}
//		s.render(w, r, page{Name: "widgets.html", Title: "Widgets", Nav: "widgets", Data: ws})
//	}
//
// A POST handler reads its form into a struct with a validate method (see
// lists_form.go), calls the domain with actor(r) as the actor (so the
// events history names the admin), and ends with
// s.redirect(w, r, "/widgets", "Widget saved.") — a 303 with a one-time
// notice on the next page. On bad input it renders the form again with
// page{Status: http.StatusUnprocessableEntity, Error: "what is wrong",
// …}: the message is shown in an alert at the top, nothing is written.
// Text pages (refusals, not found) use s.message(w, r, status, title,
// lines...).
//
// Route: register it in routes.go with s.page(mux, "GET "+p+"/widgets",
// h) for a page or s.action(mux, "POST "+p+"/widgets", h) for a change
// (CSRF-checked, body limited to MaxBodyBytes). A file upload uses
// s.upload(mux, "POST "+p+"/widgets/upload", maxBytes, h) with an
// UploadHandler, which streams the multipart body: the form's first field
// must be the CSRF token. All three require a logged-in user.
// Add a navItems entry in render.go to show it in the navigation.
//
// A live part of a page (an import's progress) is a {{define "NAME"}}
// block of the page's template, marked with hx-get, hx-trigger and
// hx-swap; a second route serves just that block with s.renderBlock, and
// the block always carries a plain link that reloads the page, for
// browsers without JavaScript (there is no meta refresh and no inline
// script).
//
// Tests: httptest against a real SQLite file with newTestConsole and a
// browser (helpers_test.go: login, get, post with the CSRF token of the
// last page). The browser flow in browser_test.go screenshots every page
// it visits at 1280 and 390 px and checks each with axe-core
// (browsertest.CheckAccessibility): add your pages to it.
package console

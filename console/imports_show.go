package console

import (
	"net/http"

	"github.com/dispatchhq/dispatch/subscribers"
)

// historyLength is how many imports the import page lists.
const historyLength = 50

type importsData struct {
	MaxMB   int64
	History []subscribers.ImportRecord
}

// handleImportsShow is the import page: the upload form and the history
// of imports (who, when, which file, what came of it).
func (s *Server) handleImportsShow(w http.ResponseWriter, r *http.Request) {
	s.renderImports(w, r, http.StatusOK, "")
}

func (s *Server) renderImports(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !s.importsReady(w, r) {
		return
	}
	hist, err := s.cfg.Store.FindImportRecords(r.Context(), historyLength)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Status: status, Name: "imports.html", Title: "Import contacts", Nav: "imports", Error: msg,
		Data: &importsData{MaxMB: s.cfg.Uploads.MaxBytes() >> 20, History: hist}})
}

// importsReady reports whether imports are set up; if not, it says so.
func (s *Server) importsReady(w http.ResponseWriter, r *http.Request) bool {
	if s.cfg.Imports == nil || s.cfg.Uploads == nil {
		s.message(w, r, http.StatusNotFound, "Imports are not set up",
			"This console was started without an import runner. Use `dispatch import` from the command line.")
		return false
	}
	return true
}

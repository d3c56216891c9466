package console

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// handleIssueEdit saves the editor's text as a new version (op=save) or
// shows it compiled without saving (op=preview: the Preview button, and
// htmx on every pause in typing, which swaps in the #preview part only).
func (s *Server) handleIssueEdit(w http.ResponseWriter, r *http.Request) {
	is, ok := s.findIssue(w, r)
	if !ok {
		return
	}
	source := strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")
	if r.PostFormValue("op") != "save" {
		s.renderIssue(w, r, http.StatusOK, "", is, source, nil)
		return
	}
	e := subscribers.IssueEdit{Source: source, Subject: subjectOf(is.Name, source), Actor: actor(r)}
	v, saved, err := s.cfg.Store.SaveIssue(r.Context(), is.ID, e)
	if err != nil {
		if errors.Is(err, subscribers.ErrInvalid) {
			s.renderIssue(w, r, http.StatusUnprocessableEntity, formError(err), is, source, nil)
			return
		}
		s.fail(w, r, err)
		return
	}
	notice := fmt.Sprintf("Saved as version %d.", v.Number)
	if !saved {
		notice = fmt.Sprintf("No changes since version %d: nothing to save.", v.Number)
	}
	if d := s.compileIssue(is.Name, source, nil); d.Errors > 0 {
		notice += fmt.Sprintf(" It has %s to fix before it can be sent.", plural(d.Errors, "error", "errors"))
	}
	s.redirect(w, r, fmt.Sprintf("/issues/%d%s", is.ID, listQuery(r)), notice)
}

// listQuery keeps the list the editor previews for across a redirect.
func listQuery(r *http.Request) string {
	if l := r.FormValue("list"); l != "" {
		return "?list=" + l
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

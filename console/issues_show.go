package console

import (
	"net/http"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

type issuesData struct {
	Issues []subscribers.Issue
	Form   issueForm // the new-issue form, refilled after an error
}

func (s *Server) handleIssuesShow(w http.ResponseWriter, r *http.Request) {
	s.renderIssues(w, r, http.StatusOK, "", issueForm{Source: starterIssue})
}

func (s *Server) renderIssues(w http.ResponseWriter, r *http.Request, status int, msg string, f issueForm) {
	issues, err := s.cfg.Store.FindIssues(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Status: status, Name: "issues.html", Title: "Issues", Nav: "issues", Error: msg,
		Data: issuesData{Issues: issues, Form: f}})
}

// issueData is what the editor page shows.
type issueData struct {
	Issue    *subscribers.Issue
	Source   string // the text in the editor: saved, or posted for a preview
	Unsaved  bool   // Source is not the latest version
	Draft    *draft
	Lists    []subscribers.List
	List     *subscribers.List // the list the preview is rendered for
	Versions []subscribers.IssueVersion
	Test     testSendData
	// SendOff says why sending is not possible from here, if it is not.
	SendOff string
}

// findIssue reads the {id} of the path; false means it answered already.
func (s *Server) findIssue(w http.ResponseWriter, r *http.Request) (*subscribers.Issue, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such issue.")
		return nil, false
	}
	is, err := s.cfg.Store.FindIssueByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return is, true
}

// issuePage gathers the editor page of is showing source, rendered for
// the list named by the "list" value (the first list when none).
func (s *Server) issuePage(r *http.Request, is *subscribers.Issue, source string) (*issueData, error) {
	ctx := r.Context()
	lists, err := s.cfg.Store.FindLists(ctx)
	if err != nil {
		return nil, err
	}
	versions, err := s.cfg.Store.FindIssueVersions(ctx, is.ID)
	if err != nil {
		return nil, err
	}
	d := &issueData{Issue: is, Source: source, Unsaved: source != is.Latest.Source, Lists: lists, Versions: versions}
	d.List = pickList(lists, r.FormValue("list"))
	d.Draft = s.compileIssue(is.Name, source, d.List)
	if err := s.adviseAudience(r, d); err != nil {
		return nil, err
	}
	switch {
	case s.cfg.Sending == nil:
		d.SendOff = "Sending is off: no SMTP relay is configured for `dispatch serve` (set smtp.host)."
	case len(lists) == 0:
		d.SendOff = "There is no list to send to yet."
	}
	return d, nil
}

// pickList finds the list whose id is v, else the first list, else nil.
func pickList(lists []subscribers.List, v string) *subscribers.List {
	id, _ := strconv.ParseInt(v, 10, 64)
	for i := range lists {
		if lists[i].ID == id {
			return &lists[i]
		}
	}
	if len(lists) > 0 {
		return &lists[0]
	}
	return nil
}

func (s *Server) handleIssueShow(w http.ResponseWriter, r *http.Request) {
	is, ok := s.findIssue(w, r)
	if !ok {
		return
	}
	s.renderIssue(w, r, http.StatusOK, "", is, is.Latest.Source, nil)
}

// renderIssue renders the editor; edit, when not nil, changes the data
// before it is shown (a test send's results, say).
func (s *Server) renderIssue(w http.ResponseWriter, r *http.Request, status int, msg string, is *subscribers.Issue, source string, edit func(*issueData)) {
	d, err := s.issuePage(r, is, source)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if edit != nil {
		edit(d)
	}
	s.render(w, r, page{Status: status, Name: "issue.html", Title: is.Name, Nav: "issues", Error: msg, Data: d})
}

// handleIssueVersionShow shows an earlier version's source, read-only.
func (s *Server) handleIssueVersionShow(w http.ResponseWriter, r *http.Request) {
	is, ok := s.findIssue(w, r)
	if !ok {
		return
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such version.")
		return
	}
	v, err := s.cfg.Store.FindIssueVersion(r.Context(), is.ID, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Name: "issue_version.html", Title: is.Name + " version " + strconv.Itoa(n), Nav: "issues",
		Data: struct {
			Issue   *subscribers.Issue
			Version *subscribers.IssueVersion
		}{is, v}})
}

// starterIssue fills the new-issue form.
const starterIssue = `---
subject: 'Client briefing for {{ .FirstName | default "colleague" }}'
preheader: "What changed, and what to do about it"
---

# This week

Dear {{ .FirstName | default "colleague" }},

Write the issue here in Markdown.
`

// adviseAudience adds the attribute checks of the list the editor renders
// for (an attribute nobody on it has, misspelt most likely), as warnings
// that say a send would be refused: the same checks as `dispatch preview`.
func (s *Server) adviseAudience(r *http.Request, d *issueData) error {
	c := d.Draft.Compiled
	if c == nil || d.List == nil || d.List.Active == 0 || len(c.Attrs()) == 0 {
		return nil
	}
	present, err := s.cfg.Store.CountAttributes(r.Context(), d.List.ID)
	if err != nil {
		return err
	}
	aud := templates.Audience{Name: d.List.Name, Recipients: d.List.Active, Present: present}
	d.Draft.Checks = append(d.Draft.Checks, templates.Advisory(c.CheckAttrs(aud))...)
	return nil
}

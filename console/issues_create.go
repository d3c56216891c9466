package console

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// issueForm is the new-issue form.
type issueForm struct {
	Name   string
	Source string
}

func (f issueForm) validate() error {
	if err := subscribers.ValidateIssueName(f.Name); err != nil {
		return err
	}
	if !utf8.ValidString(f.Source) {
		return fmt.Errorf("the issue is not UTF-8 text: %w", subscribers.ErrInvalid)
	}
	return subscribers.CheckIssueSource(f.Source)
}

// subjectOf is the subject of source, "" when it does not parse: the
// store keeps it for the list of issues.
func subjectOf(name, source string) string {
	is, err := templates.ParseIssue(name+".md", []byte(source))
	if err != nil {
		return ""
	}
	return is.Subject
}

func (s *Server) handleIssueCreate(w http.ResponseWriter, r *http.Request) {
	f := issueForm{Name: strings.TrimSpace(r.PostFormValue("name")), Source: r.PostFormValue("source")}
	s.createIssue(w, r, f)
}

func (s *Server) createIssue(w http.ResponseWriter, r *http.Request, f issueForm) {
	if err := f.validate(); err != nil {
		s.renderIssues(w, r, http.StatusUnprocessableEntity, formError(err), f)
		return
	}
	is, err := s.cfg.Store.CreateIssue(r.Context(), f.Name, subscribers.IssueEdit{
		Source: f.Source, Subject: subjectOf(f.Name, f.Source), Actor: actor(r)})
	if errors.Is(err, subscribers.ErrExists) {
		s.renderIssues(w, r, http.StatusUnprocessableEntity,
			fmt.Sprintf("There is already an issue called %q: open it to edit it, or choose another name.", f.Name), f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/issues/%d", is.ID), "Issue created: "+is.Name+".")
}

// maxIssueUpload bounds an upload's body: the issue and the form around it.
const maxIssueUpload = subscribers.MaxIssueBytes + 64<<10

// handleIssueUpload creates an issue from a Markdown file. The parts are
// the CSRF token, then an optional "name", then "file".
func (s *Server) handleIssueUpload(w http.ResponseWriter, r *http.Request, mr *multipart.Reader) {
	var f issueForm
	var file string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.uploadFailed(w, r, err)
			return
		}
		b, err := io.ReadAll(io.LimitReader(p, subscribers.MaxIssueBytes+1))
		if err != nil {
			s.uploadFailed(w, r, err)
			return
		}
		switch p.FormName() {
		case "name":
			f.Name = strings.TrimSpace(string(b))
		case "file":
			file, f.Source = p.FileName(), string(b)
		}
	}
	if file == "" && f.Source == "" {
		s.renderIssues(w, r, http.StatusUnprocessableEntity, "Choose a Markdown file to upload.", issueForm{Source: starterIssue})
		return
	}
	if f.Name == "" {
		f.Name = nameFromFile(file)
	}
	s.createIssue(w, r, f)
}

func (s *Server) uploadFailed(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		s.renderIssues(w, r, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("The file is larger than the %d KB an issue may have. Nothing was saved.", subscribers.MaxIssueBytes>>10), issueForm{Source: starterIssue})
		return
	}
	s.message(w, r, http.StatusBadRequest, "Upload failed", "The file could not be read. Nothing was saved. Try again.")
}

var notNameChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// nameFromFile makes an issue name of an uploaded file's name:
// "December Brief.md" becomes "december-brief".
func nameFromFile(file string) string {
	base := strings.ToLower(path.Base(strings.ReplaceAll(file, `\`, "/")))
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".md"), ".markdown")
	base = strings.Trim(notNameChars.ReplaceAllString(base, "-"), "-._")
	if len(base) > 100 {
		base = base[:100]
	}
	return base
}

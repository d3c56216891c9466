package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dispatchhq/dispatch/subscribers"
)

// maxNameLen bounds a name typed in the preference centre.
const maxNameLen = 200

// hiddenField carries a choice from the form to its confirmation.
type hiddenField struct{ Name, Value string }

// handleManageAction applies one change from the preference centre. Every
// change takes two POSTs: the first shows what will change and asks for
// confirmation, the second (confirm=yes) makes it. Downloading the data
// changes nothing and takes one.
func (s *Server) handleManageAction(w http.ResponseWriter, r *http.Request) {
	form, err := s.readForm(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m, err := s.loadManage(r.Context(), r.PathValue("token"))
	if err != nil {
		s.manageFail(w, r, err)
		return
	}
	confirmed := form.Get("confirm") == "yes"
	switch r.PathValue("action") {
	case "lists":
		s.manageLists(w, r, m, form, confirmed)
	case "name":
		s.manageName(w, r, m, form, confirmed)
	case "unsubscribe-all":
		s.manageUnsubscribeAll(w, r, m, confirmed)
	case "delete":
		s.manageDelete(w, r, m, confirmed)
	case "export":
		s.manageExport(w, r, m)
	default:
		s.message(w, r, http.StatusNotFound, titleNotFound, textNotFound...)
	}
}

// confirm shows what a change will do, with a form that makes it.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, m *manageSubject, action, button string, danger bool, hidden []hiddenField, lines ...string) {
	s.render(w, r, http.StatusOK, pageManageConfirm, pageData{Title: "Please confirm", Email: maskEmail(m.sub.Email),
		Lines: lines, Action: s.manageBase(m) + "/" + action, BackURL: s.manageBase(m), Hidden: hidden,
		Button: button, Danger: danger})
}

// manageDone shows the result of a change, with the way back.
func (s *Server) manageDone(w http.ResponseWriter, r *http.Request, m *manageSubject, title string, lines ...string) {
	s.render(w, r, http.StatusOK, pageMessage, pageData{Title: title, Lines: lines, BackURL: s.manageBase(m)})
}

func (s *Server) manageLists(w http.ResponseWriter, r *http.Request, m *manageSubject, form url.Values, confirmed bool) {
	wanted := m.listIDs(form["list"])
	var join, leave []subscribers.List
	for _, l := range m.public {
		want := false
		for _, id := range wanted {
			want = want || id == l.ID
		}
		switch have := m.subscribed(l.ID); {
		case want && !have:
			join = append(join, l)
		case !want && have:
			leave = append(leave, l)
		}
	}
	if len(join)+len(leave) == 0 {
		s.manageDone(w, r, m, "Nothing to change", "Your choice of newsletters is as it was.")
		return
	}
	if !confirmed {
		var lines []string
		var hidden []hiddenField
		for _, id := range wanted {
			hidden = append(hidden, hiddenField{"list", fmt.Sprint(id)})
		}
		for _, l := range join {
			lines = append(lines, "Start receiving "+l.DisplayName()+".")
		}
		for _, l := range leave {
			lines = append(lines, "Stop receiving "+l.DisplayName()+".")
		}
		s.confirm(w, r, m, "lists", "Save my choice", false, hidden, lines...)
		return
	}
	ctx := r.Context()
	for _, l := range join {
		err := s.cfg.Store.JoinList(ctx, m.sub.ID, l.ID, actorSubscriber, reasonPreferences)
		if errors.Is(err, subscribers.ErrSuppressed) {
			s.message(w, r, http.StatusConflict, titleSuppressed,
				"Emails to this address were returned as undeliverable or reported as spam, or the sender has stopped mailing it, so it can’t be subscribed from this page.",
				"If you would like to receive "+l.DisplayName()+", please contact its sender.")
			return
		}
		if err != nil {
			s.fail(w, r, fmt.Errorf("join list %d: %w", l.ID, err))
			return
		}
	}
	for _, l := range leave {
		if err := s.cfg.Store.Unsubscribe(ctx, m.sub.ID, l.ID, 0, actorSubscriber, reasonPreferences); err != nil {
			s.fail(w, r, fmt.Errorf("leave list %d: %w", l.ID, err))
			return
		}
	}
	s.cfg.Logger.InfoContext(ctx, "preferences changed", "subscriber", m.sub.ID, "joined", len(join), "left", len(leave))
	s.manageDone(w, r, m, "Your choice is saved", "Your newsletters are as you chose them. A message already on its way may still arrive.")
}

// validName checks a name typed in the form.
func validName(name string) bool {
	return utf8.ValidString(name) && utf8.RuneCountInString(name) <= maxNameLen && strings.IndexFunc(name, unicode.IsControl) < 0
}

func (s *Server) manageName(w http.ResponseWriter, r *http.Request, m *manageSubject, form url.Values, confirmed bool) {
	name := strings.TrimSpace(form.Get("name"))
	if !validName(name) {
		s.message(w, r, http.StatusBadRequest, "That name can’t be saved",
			fmt.Sprintf("A name may be up to %d characters, on one line. Nothing was changed.", maxNameLen))
		return
	}
	if name == m.sub.Name {
		s.manageDone(w, r, m, "Nothing to change", "Your name is as it was.")
		return
	}
	if !confirmed {
		line := "Change the name we greet you by to “" + name + "”."
		if name == "" {
			line = "Remove your name: emails will greet you without it."
		}
		s.confirm(w, r, m, "name", "Change my name", false, []hiddenField{{"name", name}}, line)
		return
	}
	if _, err := s.cfg.Store.UpdateSubscriber(r.Context(), m.sub.ID, subscribers.SubscriberUpdate{Name: &name}, actorSubscriber); err != nil {
		s.fail(w, r, fmt.Errorf("change name of subscriber %d: %w", m.sub.ID, err))
		return
	}
	s.manageDone(w, r, m, "Your name is saved", "Emails from now on use the name you gave.")
}

func (s *Server) manageUnsubscribeAll(w http.ResponseWriter, r *http.Request, m *manageSubject, confirmed bool) {
	if !confirmed {
		s.confirm(w, r, m, "unsubscribe-all", "Unsubscribe from everything", true, nil,
			"Stop every email from "+s.cfg.SiteName+": every list, and no new ones.")
		return
	}
	if err := s.cfg.Store.Unsubscribe(r.Context(), m.sub.ID, 0, 0, actorSubscriber, reasonPreferences); err != nil {
		s.fail(w, r, fmt.Errorf("unsubscribe subscriber %d: %w", m.sub.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "unsubscribed", "subscriber", m.sub.ID, "list", 0, "reason", reasonPreferences)
	s.manageDone(w, r, m, "You’re unsubscribed from everything",
		"You won’t receive any more emails from "+s.cfg.SiteName+". A message already on its way may still arrive.")
}

func (s *Server) manageDelete(w http.ResponseWriter, r *http.Request, m *manageSubject, confirmed bool) {
	if !confirmed {
		s.confirm(w, r, m, "delete", "Delete my data", true, nil,
			"Erase your address, name, subscriptions and history. This cannot be undone.",
			"We keep only a one-way fingerprint of your address, so that we never email it again. Download your data first if you want a copy.")
		return
	}
	// The same erasure as `dispatch subscribers remove`.
	if err := s.cfg.Store.RemoveSubscriber(r.Context(), m.sub.Email, actorSubscriber); err != nil && !errors.Is(err, subscribers.ErrNotFound) {
		s.fail(w, r, fmt.Errorf("erase subscriber %d: %w", m.sub.ID, err))
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "subscriber erased at their request", "subscriber", m.sub.ID)
	s.message(w, r, http.StatusOK, "Your data is deleted", "We no longer hold your address, name, subscriptions or history.",
		"You won’t receive emails from "+s.cfg.SiteName+" again.")
}

// manageExport sends the person their data as a JSON download.
func (s *Server) manageExport(w http.ResponseWriter, r *http.Request, m *manageSubject) {
	events, err := s.cfg.Store.Events(r.Context(), m.sub.ID)
	if err != nil {
		s.fail(w, r, fmt.Errorf("export subscriber %d: %w", m.sub.ID, err))
		return
	}
	body, err := json.MarshalIndent(subscribers.NewDataExport(m.sub, events, m.names, s.cfg.Now()), "", "  ")
	if err != nil {
		s.fail(w, r, fmt.Errorf("export subscriber %d: %w", m.sub.ID, err))
		return
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="my-data.json"`)
	s.writePage(w, r, http.StatusOK, body)
}

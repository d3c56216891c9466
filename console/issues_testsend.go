package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// maxTestAddresses bounds one test send: it is for checking, not sending.
const maxTestAddresses = 10

// testSendData is the test-send form and what the relay answered.
type testSendData struct {
	To      string
	Error   string // what is wrong with the addresses
	Results []testResult
}

type testResult struct {
	To    string
	OK    bool
	Reply string // the relay's answer, or its refusal
}

// testAddresses splits the form's addresses (commas, spaces or lines) and
// checks each.
func testAddresses(v string) ([]string, error) {
	fields := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("enter at least one address to send a test copy to")
	}
	if len(fields) > maxTestAddresses {
		return nil, fmt.Errorf("a test goes to at most %d addresses; this has %d", maxTestAddresses, len(fields))
	}
	var bad []string
	for i, f := range fields {
		fields[i] = subscribers.CleanEmail(f)
		if err := subscribers.ValidateEmail(fields[i]); err != nil {
			bad = append(bad, fmt.Sprintf("%q (%v)", f, err))
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("not an email address: %s; nothing was sent", strings.Join(bad, ", "))
	}
	return fields, nil
}

// handleIssueTestSend sends the latest saved version to a few addresses
// through the relay, outside any campaign, and shows each SMTP result.
func (s *Server) handleIssueTestSend(w http.ResponseWriter, r *http.Request) {
	is, ok := s.findIssue(w, r)
	if !ok {
		return
	}
	form := testSendData{To: r.PostFormValue("to")}
	show := func(status int, msg string) {
		s.renderIssue(w, r, status, msg, is, is.Latest.Source, func(d *issueData) { d.Test = form })
	}
	if s.cfg.Sending == nil {
		show(http.StatusConflict, "Test sends need an SMTP relay: none is configured (set smtp.host).")
		return
	}
	to, err := testAddresses(form.To)
	if err != nil {
		form.Error = strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."
		show(http.StatusUnprocessableEntity, form.Error)
		return
	}
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list := pickList(lists, r.PostFormValue("list"))
	if list == nil {
		show(http.StatusUnprocessableEntity, "Create a list first: a test copy is rendered as for a list, with its footer and unsubscribe link.")
		return
	}
	d := s.compileIssue(is.Name, is.Latest.Source, list)
	if d.Compiled == nil {
		show(http.StatusUnprocessableEntity, fmt.Sprintf("Version %d has %s: fix and save it before sending a test.", is.Latest.Number, plural(d.Errors, "error", "errors")))
		return
	}
	failed := 0
	for _, addr := range to {
		reply, err := s.cfg.Sending.TestSend(r.Context(), d.Compiled, list, addr)
		res := testResult{To: addr, OK: err == nil, Reply: reply}
		if err != nil {
			failed++
			res.Reply = err.Error()
			s.cfg.Logger.WarnContext(r.Context(), "console test send refused", "issue", is.ID, "err", err)
		}
		form.Results = append(form.Results, res)
	}
	if failed > 0 {
		show(http.StatusBadGateway, fmt.Sprintf("The relay did not accept %d of %d test copies: see the results below.", failed, len(to)))
		return
	}
	show(http.StatusOK, "")
}

package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// sendData is the confirmation of a send to a list, now or scheduled.
type sendData struct {
	Issue    *subscribers.Issue
	Lists    []subscribers.List
	List     *subscribers.List
	Compiled *templates.Compiled
	Warnings []templates.Check
	// Checks are the doctor's findings that are not OK, from the checks
	// `dispatch send` runs before a send; Failed counts the failures,
	// which only "send anyway" (--force) sends past.
	Checks   []doctor.Result
	Failed   int
	Owed     int
	Existing *subscribers.Campaign // the issue's campaign to the list, if any
	Relays   string
	// Typed says the list's name must be typed: Owed is above Threshold.
	Typed     bool
	Threshold int
	Schedule  bool
	Form      sendForm
}

// sendForm is what the confirmation posts.
type sendForm struct {
	List    string
	Version int
	Confirm string
	Again   bool
	Force   bool
	Date    string
	Time    string
	Zone    string
}

func readSendForm(r *http.Request) sendForm {
	v, _ := strconv.Atoi(r.FormValue("version"))
	return sendForm{List: r.FormValue("list"), Version: v, Confirm: strings.TrimSpace(r.FormValue("confirm")),
		Again: r.FormValue("again") == "1", Force: r.FormValue("force") == "1", Date: strings.TrimSpace(r.FormValue("date")),
		Time: strings.TrimSpace(r.FormValue("time")), Zone: strings.TrimSpace(r.FormValue("zone"))}
}

// at reads the schedule's date, time and zone. A time more than a minute
// past is refused, as `dispatch send --at` refuses it.
func (f sendForm) at(now time.Time) (time.Time, error) {
	if f.Zone == "" {
		f.Zone = "UTC"
	}
	loc, err := time.LoadLocation(f.Zone)
	if err != nil || strings.EqualFold(f.Zone, "local") {
		return time.Time{}, fmt.Errorf("%q is not a time zone: use an Area/City name such as Europe/Paris, or UTC", f.Zone)
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, f.Date+" "+f.Time, loc); err == nil {
			if t.Before(now.Add(-time.Minute)) {
				return time.Time{}, fmt.Errorf("%s %s is in the past (it is now %s in %s)", f.Date, f.Time, now.In(loc).Format("2006-01-02 15:04"), f.Zone)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("give a date like 2026-12-08 and a time like 09:00 (got %q and %q)", f.Date, f.Time)
}

// sendPage works out the confirmation of sending is's latest version to
// the form's list. A nil result means it answered already.
func (s *Server) sendPage(w http.ResponseWriter, r *http.Request, f sendForm) (*sendData, bool) {
	is, ok := s.findIssue(w, r)
	if !ok {
		return nil, false
	}
	if s.cfg.Sending == nil {
		s.message(w, r, http.StatusConflict, "Sending is off",
			"No SMTP relay is configured for `dispatch serve`: set smtp.host, restart it, and send from here.")
		return nil, false
	}
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &sendData{Issue: is, Lists: lists, List: pickList(lists, f.List), Threshold: s.cfg.TypedConfirmAbove,
		Relays: strings.Join(s.cfg.Sending.Relays(), ", "), Schedule: r.FormValue("schedule") == "1", Form: f}
	if d.List == nil {
		s.message(w, r, http.StatusConflict, "No list yet", "Create a list and add subscribers before sending.")
		return nil, false
	}
	d.Form.List = strconv.FormatInt(d.List.ID, 10)
	if d.Form.Version == 0 {
		d.Form.Version = is.Latest.Number
	}
	if d.Form.Zone == "" {
		d.Form.Zone = "UTC"
	}
	dr := s.compileIssue(is.Name, is.Latest.Source, d.List)
	if dr.Compiled == nil {
		s.renderIssue(w, r, http.StatusUnprocessableEntity,
			fmt.Sprintf("Version %d has %s: fix and save it before sending.", is.Latest.Number, plural(dr.Errors, "error", "errors")),
			is, is.Latest.Source, nil)
		return nil, false
	}
	d.Compiled, d.Warnings = dr.Compiled, dr.Checks
	rep, err := s.cfg.Sending.Preflight(r.Context(), dr.Compiled)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	for _, res := range rep.Results {
		if res.Status != doctor.OK {
			d.Checks = append(d.Checks, res)
		}
	}
	d.Failed = rep.Count(doctor.Fail)
	d.Owed, d.Existing, err = s.cfg.Sending.Plan(r.Context(), dr.Compiled, d.List)
	if errors.Is(err, subscribers.ErrInvalid) {
		s.message(w, r, http.StatusConflict, "This issue cannot be sent to "+d.List.Name, sendRefusal(err))
		return nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d.Typed = d.Owed > d.Threshold
	return d, true
}

// sendRefusal says why a send cannot go ahead, in the domain's words.
func sendRefusal(err error) string {
	msg := err.Error()
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func (s *Server) handleIssueSendShow(w http.ResponseWriter, r *http.Request) {
	d, ok := s.sendPage(w, r, readSendForm(r))
	if !ok {
		return
	}
	s.renderSend(w, r, http.StatusOK, "", d)
}

func (s *Server) renderSend(w http.ResponseWriter, r *http.Request, status int, msg string, d *sendData) {
	title := "Send " + d.Issue.Name
	if d.Schedule {
		title = "Schedule " + d.Issue.Name
	}
	s.render(w, r, page{Status: status, Name: "issue_send.html", Title: title, Nav: "issues", Error: msg, Data: d})
}

// handleIssueSend creates the campaign, through the same campaign service
// as `dispatch send`: now (in the background, by the campaign runner) or
// at the scheduled time. Then it shows the campaign.
func (s *Server) handleIssueSend(w http.ResponseWriter, r *http.Request) {
	f := readSendForm(r)
	d, ok := s.sendPage(w, r, f)
	if !ok {
		return
	}
	if f.Version != d.Issue.Latest.Number {
		s.renderSend(w, r, http.StatusConflict, fmt.Sprintf("The issue was saved again (version %d) since you opened this page, which confirmed version %d. Check it and confirm again.",
			d.Issue.Latest.Number, f.Version), d)
		return
	}
	if d.Existing != nil && !f.Again {
		s.renderSend(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("This issue already has campaign %d to %s. Tick “send again as a new campaign” to send it to the whole list again.",
			d.Existing.ID, d.List.Name), d)
		return
	}
	if d.Failed > 0 && !f.Force {
		s.renderSend(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("%s before sending: fix %s (`dispatch doctor` shows every check), or tick “send anyway”.",
			plural(d.Failed, "check failed", "checks failed"), map[bool]string{true: "it", false: "them"}[d.Failed == 1]), d)
		return
	}
	if d.Typed && f.Confirm != d.List.Name {
		s.renderSend(w, r, http.StatusUnprocessableEntity, fmt.Sprintf("Type the list's name, %s, to confirm a send to %s recipients.", d.List.Name, formatNum(d.Owed)), d)
		return
	}
	now := s.cfg.Now()
	at, zone := now, ""
	if d.Schedule {
		t, err := f.at(now)
		if err != nil {
			s.renderSend(w, r, http.StatusUnprocessableEntity, sendRefusal(err), d)
			return
		}
		at, zone = t, f.Zone
	}
	path := fmt.Sprintf("console:issues/%s/v%d", d.Issue.Name, d.Issue.Latest.Number)
	c, err := s.cfg.Sending.Schedule(r.Context(), d.Compiled, path, d.List, f.Again, at, zone)
	if err != nil {
		if errors.Is(err, subscribers.ErrInvalid) {
			s.renderSend(w, r, http.StatusConflict, sendRefusal(err), d)
			return
		}
		s.fail(w, r, err)
		return
	}
	notice := fmt.Sprintf("Campaign %d created: %s to %s is being sent in the background by `dispatch serve`.", c.ID, d.Issue.Name, d.List.Name)
	if d.Schedule {
		notice = fmt.Sprintf("Campaign %d scheduled: %s to %s at %s (%s).", c.ID, d.Issue.Name, d.List.Name, at.Format("2006-01-02 15:04"), zone)
	}
	s.redirect(w, r, fmt.Sprintf("/campaigns/%d", c.ID), notice)
}

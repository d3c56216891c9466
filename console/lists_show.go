package console

import (
	"net/http"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
)

type listsData struct {
	Lists []subscribers.List
	Form  listForm // the create form, refilled after an error
}

func (s *Server) handleListsShow(w http.ResponseWriter, r *http.Request) {
	s.renderLists(w, r, http.StatusOK, "", listForm{})
}

func (s *Server) renderLists(w http.ResponseWriter, r *http.Request, status int, msg string, f listForm) {
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Status: status, Name: "lists.html", Title: "Lists", Nav: "lists", Error: msg,
		Data: listsData{Lists: lists, Form: f}})
}

type listData struct {
	List    *subscribers.List
	Counts  *subscribers.List // with member counts
	Rename  listForm
	Confirm string // the typed confirmation, refilled after an error
	// DeleteError is shown next to the delete form.
	DeleteError string
	// Growth is the list's growth chart, on its page (not after a form).
	Growth *barChart
}

// growthWeeks is how many weeks the list page's growth chart shows.
const growthWeeks = 26

// findList reads the {id} of the path; false means it answered already.
func (s *Server) findList(w http.ResponseWriter, r *http.Request) (*listData, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such list.")
		return nil, false
	}
	l, err := s.cfg.Store.FindListByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &listData{List: l, Counts: l, Rename: listForm{Name: l.Name, Title: l.Title}}
	for i := range lists {
		if lists[i].ID == l.ID {
			d.Counts = &lists[i]
		}
	}
	return d, true
}

func (s *Server) handleListShow(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findList(w, r)
	if !ok {
		return
	}
	now := s.cfg.Now()
	from := now.AddDate(0, 0, -7*(growthWeeks-1))
	weeks, err := s.cfg.Store.FindListGrowth(r.Context(), d.List.ID, weekStart(from))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g := growthChart(weeks, from, now)
	d.Growth = &g
	s.render(w, r, page{Name: "list.html", Title: "List " + d.List.Name, Nav: "lists", Data: d})
}

package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// subscribersQuery is the search and filter form of the subscribers page,
// read from the URL so that every page of results has its own link.
type subscribersQuery struct {
	Search string
	ListID int64
	Status subscribers.Status
	After  string
}

func readSubscribersQuery(r *http.Request) (subscribersQuery, error) {
	v := r.URL.Query()
	q := subscribersQuery{Search: strings.TrimSpace(v.Get("q")), After: v.Get("after")}
	if len(q.Search) > 200 {
		return q, notice("The search is too long.")
	}
	if l := v.Get("list"); l != "" {
		id, err := strconv.ParseInt(l, 10, 64)
		if err != nil || id < 0 {
			return q, notice("There is no such list.")
		}
		q.ListID = id
	}
	if st := v.Get("status"); st != "" {
		s, err := subscribers.ParseStatus(st)
		if err != nil {
			return q, notice("There is no such status.")
		}
		q.Status = s
	}
	return q, nil
}

// values is the query without the cursor, for links.
func (q subscribersQuery) values() url.Values {
	v := url.Values{}
	if q.Search != "" {
		v.Set("q", q.Search)
	}
	if q.ListID != 0 {
		v.Set("list", strconv.FormatInt(q.ListID, 10))
	}
	if q.Status != "" {
		v.Set("status", string(q.Status))
	}
	return v
}

type subscribersData struct {
	Query    subscribersQuery
	Lists    []subscribers.List
	Statuses []subscribers.Status
	Page     *subscribers.SubscriberPage
	NextURL  string // empty on the last page
	FirstURL string // empty on the first page
	Export   string
	Add      addForm
}

func (s *Server) handleSubscribersShow(w http.ResponseWriter, r *http.Request) {
	s.renderSubscribers(w, r, http.StatusOK, "", addForm{})
}

func (s *Server) renderSubscribers(w http.ResponseWriter, r *http.Request, status int, msg string, add addForm) {
	q, qerr := readSubscribersQuery(r)
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := subscribersData{Query: q, Lists: lists, Statuses: subscribers.Statuses, Add: add}
	if qerr != nil {
		status, msg = http.StatusBadRequest, qerr.Error()
		d.Page = &subscribers.SubscriberPage{Total: -1}
	} else {
		page, err := s.cfg.Store.SearchSubscribers(r.Context(), subscribers.SubscriberQuery{Search: q.Search, ListID: q.ListID,
			Status: q.Status, After: q.After})
		if errors.Is(err, subscribers.ErrInvalid) {
			status, msg = http.StatusBadRequest, "That page link is not valid any more: start from the first page."
			page = &subscribers.SubscriberPage{Total: -1}
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
		d.Page = page
	}
	v := q.values()
	d.Export = s.path("/subscribers/export.csv")
	if enc := v.Encode(); enc != "" {
		d.Export += "?" + enc
	}
	if q.After != "" {
		d.FirstURL = s.path("/subscribers")
		if enc := v.Encode(); enc != "" {
			d.FirstURL += "?" + enc
		}
	}
	if d.Page.Next != "" {
		v.Set("after", d.Page.Next)
		d.NextURL = s.path("/subscribers") + "?" + v.Encode()
	}
	s.render(w, r, page{Status: status, Name: "subscribers.html", Title: "Subscribers", Nav: "subscribers", Error: msg, Data: d})
}

// eventView is one line of a subscriber's history.
type eventView struct {
	subscribers.Event
	List string
}

type subscriberData struct {
	Sub        *subscribers.Subscriber
	Attributes []attrView
	AttrText   string // the attributes as key = value lines, for the form
	Events     []eventView
	Lists      []subscribers.List // lists to add them to
	Confirm    string
	Suppressed bool
}

type attrView struct{ Key, Value string }

// findSubscriber reads the {id} of the path; false means it answered.
func (s *Server) findSubscriber(w http.ResponseWriter, r *http.Request) (*subscriberData, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such subscriber.")
		return nil, false
	}
	sub, err := s.cfg.Store.FindSubscriberByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	events, err := s.cfg.Store.Events(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	lists, err := s.cfg.Store.FindLists(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	names := map[int64]string{}
	for _, l := range lists {
		names[l.ID] = l.Name
	}
	d := &subscriberData{Sub: sub, Lists: lists, Suppressed: sub.Status.Suppressed()}
	for i := len(events) - 1; i >= 0; i-- { // newest first
		d.Events = append(d.Events, eventView{Event: events[i], List: names[events[i].ListID]})
	}
	keys := make([]string, 0, len(sub.Attributes))
	for k := range sub.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		v := attrString(sub.Attributes[k])
		d.Attributes = append(d.Attributes, attrView{Key: k, Value: v})
		lines = append(lines, k+" = "+v)
	}
	d.AttrText = strings.Join(lines, "\n")
	return d, true
}

func (s *Server) handleSubscriberShow(w http.ResponseWriter, r *http.Request) {
	d, ok := s.findSubscriber(w, r)
	if !ok {
		return
	}
	s.renderSubscriber(w, r, http.StatusOK, "", d)
}

func (s *Server) renderSubscriber(w http.ResponseWriter, r *http.Request, status int, msg string, d *subscriberData) {
	s.render(w, r, page{Status: status, Name: "subscriber.html", Title: d.Sub.Email, Nav: "subscribers", Error: msg, Data: d})
}

// handleSubscribersExport writes the filtered subscribers as CSV, in the
// format (and with the formula neutralising) of `subscribers export`.
func (s *Server) handleSubscribersExport(w http.ResponseWriter, r *http.Request) {
	q, err := readSubscribersQuery(r)
	if err != nil {
		s.message(w, r, http.StatusBadRequest, "Cannot export", err.Error())
		return
	}
	f := subscribers.SubscriberFilter{Status: q.Status}
	if q.ListID != 0 {
		l, err := s.cfg.Store.FindListByID(r.Context(), q.ListID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.List = l.Name
	}
	search := strings.ToLower(q.Search)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="subscribers.csv"`)
	ew := subscribers.NewExportWriter(w)
	err = s.cfg.Store.FindSubscribers(r.Context(), f, func(sub *subscribers.Subscriber) error {
		if search != "" && !strings.HasPrefix(strings.ToLower(sub.Email), search) && !strings.HasPrefix(strings.ToLower(sub.Name), search) {
			return nil
		}
		return ew.Write(sub)
	})
	if ferr := ew.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// The header is gone: the truncated file is all we can do; log it.
		s.cfg.Logger.ErrorContext(r.Context(), "export subscribers", "err", err)
	}
	if rerr := s.cfg.Store.RecordEvent(r.Context(), subscribers.Event{Type: "exported", Actor: actor(r),
		Reason: "subscribers export " + q.values().Encode()}); rerr != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "record export", "err", rerr)
	}
}

func attrString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

package console

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dispatchhq/dispatch/subscribers"
)

// maxBlocklistBytes bounds a pasted or uploaded list of addresses.
const maxBlocklistBytes = 5 << 20

// maxBlocklistAddresses bounds one blocklisting (one transaction).
const maxBlocklistAddresses = 50000

type suppressionsData struct {
	Search   string
	Status   subscribers.Status
	Statuses []subscribers.Status
	Page     *subscribers.SuppressedPage
	NextURL  string
	Paste    string
	Reason   string
	Invalid  []subscribers.InvalidRow
}

func (s *Server) handleSuppressionsShow(w http.ResponseWriter, r *http.Request) {
	s.renderSuppressions(w, r, http.StatusOK, "", &suppressionsData{})
}

func (s *Server) renderSuppressions(w http.ResponseWriter, r *http.Request, status int, msg string, d *suppressionsData) {
	v := r.URL.Query()
	d.Search = strings.TrimSpace(v.Get("q"))
	d.Statuses = subscribers.Statuses[1:] // the suppressed ones
	if st := v.Get("status"); st != "" {
		parsed, err := subscribers.ParseStatus(st)
		if err != nil || parsed == subscribers.StatusActive {
			status, msg = http.StatusBadRequest, "There is no such suppressed status."
		} else {
			d.Status = parsed
		}
	}
	page, err := s.cfg.Store.FindSuppressed(r.Context(), subscribers.SuppressedQuery{Search: d.Search, Status: d.Status, After: v.Get("after")})
	if errors.Is(err, subscribers.ErrInvalid) {
		status, msg = http.StatusBadRequest, "That page link is not valid any more: start from the first page."
		page = &subscribers.SuppressedPage{}
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	d.Page = page
	if page.Next != "" {
		q := url.Values{"after": {page.Next}}
		if d.Search != "" {
			q.Set("q", d.Search)
		}
		if d.Status != "" {
			q.Set("status", string(d.Status))
		}
		d.NextURL = s.path("/suppressions") + "?" + q.Encode()
	}
	s.render(w, r, suppressionsPage(status, msg, d))
}

func suppressionsPage(status int, msg string, d *suppressionsData) page {
	return page{Status: status, Name: "suppressions.html", Title: "Suppressions", Nav: "suppressions", Error: msg, Data: d}
}

// handleSuppressionsBlocklist blocklists pasted addresses, or those of an
// uploaded file, by the rules of `subscribers blocklist`.
func (s *Server) handleSuppressionsBlocklist(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBlocklistBytes+64<<10)
	d := &suppressionsData{}
	var in io.Reader
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			s.renderSuppressions(w, r, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("The upload failed or is over %d MB: nothing was blocklisted. Try again with a smaller file.", maxBlocklistBytes>>20), d)
			return
		}
		if f, _, err := r.FormFile("file"); err == nil {
			defer f.Close()
			in = f
		}
	}
	d.Paste, d.Reason = r.PostFormValue("addresses"), strings.TrimSpace(r.PostFormValue("reason"))
	if in == nil {
		in = strings.NewReader(d.Paste)
	}
	emails, invalid, err := subscribers.ReadAddressList(in, maxBlocklistAddresses)
	if err != nil {
		s.renderSuppressions(w, r, http.StatusUnprocessableEntity, "Nothing was blocklisted: "+err.Error()+".", d)
		return
	}
	d.Invalid = invalid
	if len(emails) == 0 {
		s.renderSuppressions(w, r, http.StatusUnprocessableEntity, "No address found: paste addresses, one or more per line, or choose a file.", d)
		return
	}
	res, err := s.cfg.Store.BlocklistAll(r.Context(), emails, actor(r), d.Reason)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	notice := fmt.Sprintf("Blocklisted %d; %d already were; %d were removed earlier and stay suppressed.", res.Blocklisted, res.Already, res.Removed)
	if len(invalid) > 0 {
		notice += fmt.Sprintf(" %d entries were not addresses and were skipped (first: line %d, %q: %s).",
			len(invalid), invalid[0].Line, invalid[0].Value, invalid[0].Error)
	}
	s.redirect(w, r, "/suppressions", notice)
}

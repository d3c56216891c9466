package console

import (
	"html/template"
	"net/http"
	"strconv"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
	"github.com/dispatchhq/dispatch/tracking"
)

// clicksData is the click report of one campaign.
type clicksData struct {
	Campaign *subscribers.Campaign
	Report   *tracking.Report // nil: the campaign tracks nothing
	Chart    template.HTML    // built by tracking.Report.Chart, which escapes its text
}

// campaignClicks reads the campaign of the request and its report.
func (s *Server) campaignClicks(w http.ResponseWriter, r *http.Request) (*clicksData, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such campaign.")
		return nil, false
	}
	c, err := s.cfg.Store.FindCampaignByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	rep, err := tracking.LoadReport(r.Context(), s.cfg.Store, c)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	d := &clicksData{Campaign: c, Report: rep}
	if rep != nil && rep.Mode != subscribers.TrackOff {
		d.Chart = template.HTML(rep.Chart())
	}
	return d, true
}

// handleCampaignClicksShow shows which stories readers clicked, people and
// scanners apart, and human clicks over time.
func (s *Server) handleCampaignClicksShow(w http.ResponseWriter, r *http.Request) {
	d, ok := s.campaignClicks(w, r)
	if !ok {
		return
	}
	s.render(w, r, page{Name: "campaign_clicks.html", Title: "Clicks: " + templates.SubjectDisplay(d.Campaign.Subject), Nav: "dashboard", Data: d})
}

// handleCampaignClicksCSV downloads the report, one row per link.
func (s *Server) handleCampaignClicksCSV(w http.ResponseWriter, r *http.Request) {
	d, ok := s.campaignClicks(w, r)
	if !ok {
		return
	}
	if d.Report == nil || d.Report.Mode == subscribers.TrackOff {
		s.message(w, r, http.StatusNotFound, "No clicks", "This campaign does not track clicks.")
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="campaign-`+strconv.FormatInt(d.Campaign.ID, 10)+`-clicks.csv"`)
	if err := d.Report.WriteCSV(w); err != nil {
		s.cfg.Logger.WarnContext(r.Context(), "write clicks csv", "campaign", d.Campaign.ID, "err", err)
	}
}

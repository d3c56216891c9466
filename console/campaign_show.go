package console

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// campaignData is the campaign page: its live progress and its report.
type campaignData struct {
	*CampaignLive
	Report subscribers.CampaignReport
	// Rate is the delivery rate over the last few minutes, per second.
	Rate float64
	// Left is how many deliveries the campaign still owes; ETA how long
	// they take at Rate (0 when unknown).
	Left int
	ETA  time.Duration
	// Poll is the progress partial's refresh interval while the page
	// should follow the campaign ("2s"); "" when nothing moves.
	Poll string
	// Sends and Returns are the timeline's two charts.
	Sends, Returns             barChart
	SendsUnit, ReturnsUnit     string
	Bounced                    int
	HardPct, ComplaintPct, Pct string
}

// campaignID reads the {id} of the path; false means it answered already.
func (s *Server) campaignID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	if s.cfg.Campaigns == nil {
		s.message(w, r, http.StatusNotFound, "Not found", "Campaigns are not available on this console.")
		return 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.message(w, r, http.StatusNotFound, "Not found", "There is no such campaign.")
		return 0, false
	}
	return id, true
}

// campaignData reads what the campaign page shows: with full the whole
// report, else (for the polled progress) only what the rate needs.
func (s *Server) campaignData(r *http.Request, id int64, full bool) (*campaignData, error) {
	ctx := r.Context()
	live, err := s.cfg.Campaigns.Live(ctx, id)
	if err != nil {
		return nil, err
	}
	var rep subscribers.CampaignReport
	if full {
		rep, err = s.cfg.Store.FindCampaignReport(ctx, id, reportTopDomains)
	} else {
		rep.Minutes, err = s.cfg.Store.FindCampaignMinutes(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	st := live.Stats
	d := &campaignData{CampaignLive: live, Report: rep, Left: st.Queued + st.Sending + st.Deferred,
		Bounced: st.HardBounces + st.SoftBounces}
	now := s.cfg.Now()
	if live.State == StateRunning {
		d.Rate = liveRate(rep.Minutes, st.FirstSentAt, now)
		if d.Rate > 0 && d.Left > 0 {
			d.ETA = time.Duration(float64(d.Left) / d.Rate * float64(time.Second)).Round(time.Second)
		}
	}
	switch live.State {
	case StateRunning, StateScheduled:
		d.Poll = campaignsPoll.String()
	case StateInterrupted:
		if live.Control.Background && live.RunnerUp {
			d.Poll = campaignsPoll.String() // the runner takes it up shortly
		}
	}
	d.Sends, d.SendsUnit = deliveriesChart(rep.Minutes)
	d.Returns, d.ReturnsUnit = returnsChart(rep.Hours, st.FirstSentAt)
	return d, nil
}

// handleCampaignShow is the campaign page: progress, controls, report.
func (s *Server) handleCampaignShow(w http.ResponseWriter, r *http.Request) {
	id, ok := s.campaignID(w, r)
	if !ok {
		return
	}
	d, err := s.campaignData(r, id, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, page{Name: "campaign.html", Title: "Campaign " + strconv.FormatInt(id, 10) + ": " + templates.SubjectDisplay(d.Campaign.Subject),
		Nav: "campaigns", Data: d})
}

// handleCampaignProgress is the progress part of the campaign page alone,
// which the page's htmx polling swaps in while the campaign runs; once it
// stops, the whole page.
func (s *Server) handleCampaignProgress(w http.ResponseWriter, r *http.Request) {
	id, ok := s.campaignID(w, r)
	if !ok {
		return
	}
	d, err := s.campaignData(r, id, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if d.Poll == "" {
		// The campaign has stopped moving (sent, paused, cancelled): the
		// page loads again once, so that its report shows how the send
		// ended, not how it stood when the page was opened.
		w.Header().Set("HX-Refresh", "true")
	}
	s.renderPartial(w, r, "campaign.html", "progress", d)
}

// renderPartial writes one template of a page, without the layout.
func (s *Server) renderPartial(w http.ResponseWriter, r *http.Request, name, block string, data any) {
	v := &view{SiteName: s.cfg.SiteName, Prefix: s.prefix, Data: data}
	if a := authOf(r); a != nil {
		v.User, v.CSRF = a.user, a.sess.CSRFToken
	}
	var buf bytes.Buffer
	if err := s.views.tmpl[name].ExecuteTemplate(&buf, block, v); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "render console partial", "page", name, "block", block, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

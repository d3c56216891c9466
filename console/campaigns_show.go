package console

import (
	"net/http"
)

// handleCampaignsShow lists every campaign, newest first, with where it
// stands and its counts.
func (s *Server) handleCampaignsShow(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Campaigns == nil {
		s.message(w, r, http.StatusNotFound, "Not found", "Campaigns are not available on this console.")
		return
	}
	ctx := r.Context()
	cs, err := s.cfg.Store.FindCampaigns(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]*CampaignLive, 0, len(cs))
	for _, c := range cs {
		l, err := s.cfg.Campaigns.Live(ctx, c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		rows = append(rows, l)
	}
	s.render(w, r, page{Name: "campaigns.html", Title: "Campaigns", Nav: "campaigns", Data: rows})
}

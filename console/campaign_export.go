package console

import (
	"fmt"
	"net/http"

	"github.com/dispatchhq/dispatch/subscribers"
)

// handleCampaignExport writes the campaign's report as CSV, in the format
// of `dispatch campaigns show ID --csv`.
func (s *Server) handleCampaignExport(w http.ResponseWriter, r *http.Request) {
	id, ok := s.campaignID(w, r)
	if !ok {
		return
	}
	d, err := s.campaignData(r, id, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="campaign-%d-report.csv"`, id))
	if err := subscribers.WriteCampaignReportCSV(w, d.Campaign, d.Stats, d.Report); err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "export campaign report", "campaign", id, "err", err)
	}
}

package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// handleCampaignPause, handleCampaignResume and handleCampaignCancel act
// on a campaign through Campaigns, then return to its page with what
// happened.
func (s *Server) handleCampaignPause(w http.ResponseWriter, r *http.Request) {
	s.controlCampaign(w, r, s.cfg.Campaigns.Pause, func(c ControlResult) string {
		switch {
		case c.Already:
			return "The campaign was already paused."
		case c.Asked:
			return "Pausing: the process sending the campaign stops within a few seconds. Resume it here when you are ready."
		}
		return "Campaign paused. It stays paused until you resume it."
	})
}

func (s *Server) handleCampaignResume(w http.ResponseWriter, r *http.Request) {
	s.controlCampaign(w, r, s.cfg.Campaigns.Resume, func(c ControlResult) string {
		switch {
		case c.Already:
			return "The campaign is already being sent."
		case c.RunnerUp:
			return "Campaign resumed: the campaign runner of dispatch serve sends it."
		}
		return "Campaign resumed, but no campaign runner is up: start dispatch serve (with an SMTP relay) to send it."
	})
}

func (s *Server) handleCampaignCancel(w http.ResponseWriter, r *http.Request) {
	s.controlCampaign(w, r, s.cfg.Campaigns.Cancel, func(c ControlResult) string {
		switch {
		case c.Already:
			return "The campaign was already cancelled."
		case c.Asked:
			return "Cancelling: the process sending the campaign stops within a few seconds; what it still owes is skipped."
		}
		return fmt.Sprintf("Campaign cancelled: %s deliveries it still owed were skipped.", formatNum(c.Skipped))
	})
}

func (s *Server) controlCampaign(w http.ResponseWriter, r *http.Request,
	act func(context.Context, int64) (ControlResult, error), notice func(ControlResult) string) {
	id, ok := s.campaignID(w, r)
	if !ok {
		return
	}
	res, err := act(r.Context(), id)
	var refused *RefusedError
	if errors.As(err, &refused) {
		s.message(w, r, http.StatusConflict, "Not possible now", refused.Reason)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.cfg.Logger.InfoContext(r.Context(), "console campaign control", "campaign", id, "path", r.URL.Path, "admin", actor(r))
	s.redirect(w, r, "/campaigns/"+strconv.FormatInt(id, 10), notice(res))
}

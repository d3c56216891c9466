package console

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/dispatchhq/dispatch/subscribers"
)

// BounceMailboxPollKey is the check-report key under which `dispatch
// serve` records each successful poll of the bounce mailbox; the
// dashboard reads its time.
const BounceMailboxPollKey = "bounces.mailbox.last_poll"

// recentCampaigns is how many campaigns the dashboard shows.
const recentCampaigns = 5

type statusCount struct {
	Status subscribers.Status
	Label  string
	N      int
}

type campaignRow struct {
	subscribers.Campaign
	Stats   subscribers.CampaignStats
	Bounced int
}

// attention is something the admin should look at.
type attention struct {
	Level string // "warning" or "error"
	Text  string
	Hint  string // the command or page that deals with it
}

type dashboardData struct {
	Statuses  []statusCount
	Total     int
	Lists     []subscribers.List
	Campaigns []campaignRow
	Attention []attention
}

var statusLabels = []statusCount{
	{Status: subscribers.StatusActive, Label: "Active"},
	{Status: subscribers.StatusUnsubscribed, Label: "Unsubscribed"},
	{Status: subscribers.StatusBounced, Label: "Bounced"},
	{Status: subscribers.StatusComplained, Label: "Complained"},
	{Status: subscribers.StatusBlocklisted, Label: "Blocklisted"},
}

func (s *Server) handleDashboardShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var d dashboardData
	counts, err := s.cfg.Store.FindStatusCounts(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, sc := range statusLabels {
		sc.N = counts[sc.Status]
		d.Total += sc.N
		d.Statuses = append(d.Statuses, sc)
	}
	if d.Lists, err = s.cfg.Store.FindLists(ctx); err != nil {
		s.fail(w, r, err)
		return
	}
	campaigns, err := s.cfg.Store.FindCampaigns(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for i, c := range campaigns {
		if i >= recentCampaigns && c.Status == subscribers.CampaignFinished {
			continue
		}
		st, err := s.cfg.Store.FindCampaignStats(ctx, c.ID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if i < recentCampaigns {
			d.Campaigns = append(d.Campaigns, campaignRow{Campaign: c, Stats: st, Bounced: st.HardBounces + st.SoftBounces})
		}
		d.Attention = append(d.Attention, campaignAttention(c, st)...)
	}
	if a, err := s.mailboxAttention(r); err != nil {
		s.fail(w, r, err)
		return
	} else if a != nil {
		d.Attention = append(d.Attention, *a)
	}
	s.render(w, r, page{Name: "dashboard.html", Title: "Dashboard", Nav: "dashboard", Data: d})
}

// campaignAttention says what about a campaign needs the admin: a pause
// (its reason is usually the relay's refusal), an interrupted run, and
// failed deliveries.
func campaignAttention(c subscribers.Campaign, st subscribers.CampaignStats) []attention {
	var out []attention
	name := fmt.Sprintf("%q to %s", c.Slug, c.ListName)
	switch {
	case c.Status == subscribers.CampaignPaused:
		out = append(out, attention{Level: "error",
			Text: fmt.Sprintf("Campaign %s is paused: %s", name, c.PauseReason),
			Hint: fmt.Sprintf("Fix the cause, then resume with: dispatch send %s --list %s", c.IssuePath, c.ListName)})
	case c.Status == subscribers.CampaignSending && !st.Done():
		out = append(out, attention{Level: "warning",
			Text: fmt.Sprintf("Campaign %s has %d messages not yet sent.", name, st.Queued+st.Deferred+st.Sending),
			Hint: fmt.Sprintf("If no send is running, resume with: dispatch send %s --list %s", c.IssuePath, c.ListName)})
	}
	if st.Failed > 0 {
		out = append(out, attention{Level: "warning",
			Text: fmt.Sprintf("Campaign %s has %d failed deliveries.", name, st.Failed),
			Hint: fmt.Sprintf("See why with: dispatch campaigns failed %d", c.ID)})
	}
	return out
}

// mailboxAttention warns when the bounce mailbox has not been polled
// successfully for longer than BounceMailboxStale.
func (s *Server) mailboxAttention(r *http.Request) (*attention, error) {
	if !s.cfg.BounceMailbox {
		return nil, nil
	}
	_, at, err := s.cfg.Store.FindCheckReport(r.Context(), BounceMailboxPollKey)
	if errors.Is(err, subscribers.ErrNotFound) {
		return &attention{Level: "warning", Text: "The bounce mailbox has not been read successfully yet.",
			Hint: "Check bounces.imap.* and the server log (bounce mailbox poll failed)."}, nil
	}
	if err != nil {
		return nil, err
	}
	if age := s.cfg.Now().Sub(at); age > s.cfg.BounceMailboxStale {
		return &attention{Level: "error",
			Text: fmt.Sprintf("The bounce mailbox was last read successfully %s ago (%s).", age.Round(60e9), at.UTC().Format("2006-01-02 15:04 MST")),
			Hint: "Bounces are not being processed. Check bounces.imap.* and the server log."}, nil
	}
	return nil, nil
}

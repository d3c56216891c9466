package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// scheduled creates a list of n active subscribers and a campaign to it
// scheduled at at.
func scheduled(t *testing.T, s *sqlite.Store, n int, at time.Time) *subscribers.Campaign {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		if _, err := s.AddSubscriber(ctx, subscribers.AddInput{Email: string(rune('a'+i)) + "@example.com", Lists: []string{"clients"}}); err != nil {
			t.Fatal(err)
		}
	}
	l, err := s.FindListByName(ctx, "clients")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.ScheduleCampaign(ctx, subscribers.NewCampaign{Slug: "w1", ListID: l.ID, Subject: "W", IssuePath: "w.md",
		Snapshot: []byte("{}")}, at, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestScheduledCampaignHasNoDeliveriesUntilItStarts(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	c := scheduled(t, s, 3, at)
	ctl, err := s.FindCampaignControl(ctx, c.ID)
	if err != nil || ctl.Hold != subscribers.HoldSchedule || !ctl.ScheduledAt.Equal(at) || ctl.ScheduleZone != "Europe/Paris" || !ctl.Background {
		t.Fatalf("FindCampaignControl = %+v, %v; want held for its schedule, in the background", ctl, err)
	}
	if st, _ := s.FindCampaignStats(ctx, c.ID); st.Recipients != 0 {
		t.Errorf("scheduled campaign has %d deliveries; want none before it starts", st.Recipients)
	}
	if ids, err := s.FindRunnable(ctx, at.Add(-time.Minute)); err != nil || len(ids) != 0 {
		t.Errorf("FindRunnable before its time = %v, %v; want none", ids, err)
	}
	if ids, err := s.FindRunnable(ctx, at); err != nil || len(ids) != 1 || ids[0] != c.ID {
		t.Errorf("FindRunnable at its time = %v, %v; want [%d]", ids, err, c.ID)
	}
	for range 2 { // twice: starting again adds no one twice
		if n, err := s.EnqueueScheduled(ctx, c.ID); err != nil || n != 3 {
			t.Fatalf("EnqueueScheduled = %d, %v; want 3", n, err)
		}
	}
	got, err := s.FindCampaignByID(ctx, c.ID)
	if err != nil || got.Status != subscribers.CampaignSending || got.Recipients != 3 {
		t.Errorf("after EnqueueScheduled: %+v, %v; want sending to 3", got, err)
	}
	if ctl, _ := s.FindCampaignControl(ctx, c.ID); ctl.Hold != subscribers.HoldNone {
		t.Errorf("hold after start = %q; want none", ctl.Hold)
	}
}

func TestCancelHoldResumeAndRequests(t *testing.T) {
	s := mustOpen(t)
	ctx := context.Background()
	c := scheduled(t, s, 2, time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC))
	if n, err := s.CancelCampaign(ctx, c.ID); err != nil || n != 0 {
		t.Fatalf("CancelCampaign of a scheduled campaign = %d, %v; want nothing skipped", n, err)
	}
	st, _ := s.FindCampaignStats(ctx, c.ID)
	ctl, _ := s.FindCampaignControl(ctx, c.ID)
	if st.Recipients != 0 || ctl.CancelledAt.IsZero() || ctl.Hold != subscribers.HoldNone {
		t.Errorf("cancelled scheduled campaign: %+v, %+v; want no deliveries, cancelled, no hold", st, ctl)
	}
	if ids, _ := s.FindRunnable(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); len(ids) != 0 {
		t.Errorf("FindRunnable after cancel = %v; want none", ids)
	}

	c2, err := s.ScheduleCampaign(ctx, subscribers.NewCampaign{Slug: "w2", ListID: c.ListID, Subject: "W", IssuePath: "w.md",
		Snapshot: []byte("{}")}, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.EnqueueScheduled(ctx, c2.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCampaignRequest(ctx, c2.ID, subscribers.RequestPause); err != nil {
		t.Fatal(err)
	}
	if ctl, _ := s.FindCampaignControl(ctx, c2.ID); ctl.Request != subscribers.RequestPause {
		t.Errorf("request = %q; want pause", ctl.Request)
	}
	if err := s.HoldCampaign(ctx, c2.ID, subscribers.HoldGuardrail, "bounce rate 10%"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.FindCampaignByID(ctx, c2.ID)
	ctl, _ = s.FindCampaignControl(ctx, c2.ID)
	if got.Status != subscribers.CampaignPaused || got.PauseReason != "bounce rate 10%" || ctl.Hold != subscribers.HoldGuardrail || ctl.Request != "" {
		t.Errorf("held: %+v %+v; want paused by the guardrail, request cleared", got, ctl)
	}
	if err := s.ResumeCampaign(ctx, c2.ID, true); err != nil {
		t.Fatal(err)
	}
	got, _ = s.FindCampaignByID(ctx, c2.ID)
	ctl, _ = s.FindCampaignControl(ctx, c2.ID)
	if got.Status != subscribers.CampaignSending || got.PauseReason != "" || ctl.Hold != "" || !ctl.Background {
		t.Errorf("resumed: %+v %+v; want sending, no hold, in the background", got, ctl)
	}
	if n, err := s.CancelCampaign(ctx, c2.ID); err != nil || n != 2 {
		t.Errorf("CancelCampaign of a started campaign = %d, %v; want its 2 owed deliveries skipped", n, err)
	}
	if st, _ := s.FindCampaignStats(ctx, c2.ID); st.Skipped != 2 || !st.Done() {
		t.Errorf("stats after cancel = %+v; want 2 skipped, done", st)
	}
}

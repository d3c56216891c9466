package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func TestNewCampaignSendsToEveryActiveSubscriberOnce(t *testing.T) {
	e := newEnv(t, 12)
	svc := e.service(nil)
	ctx := context.Background()
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	if p.Campaign != nil || p.Owed != 12 || p.Finished || p.Changed {
		t.Fatalf("Prepare = %+v; want a new campaign owing 12", p)
	}
	r, err := svc.Start(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Created || r.Campaign.Recipients != 12 || r.Recovered != 0 {
		t.Fatalf("Start = %+v; want a created campaign of 12 recipients", r)
	}
	out, err := r.Send(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.Campaign.Status != subscribers.CampaignFinished || out.Stats.Sent != 12 || out.Result.Sent != 12 {
		t.Errorf("Send = campaign %+v, stats %+v; want finished with 12 sent", out.Campaign, out.Stats)
	}
	if n := len(e.srv.Messages()); n != 12 {
		t.Errorf("relay got %d messages; want 12", n)
	}
	rep, err := svc.Report(ctx, out.Campaign.ID)
	if err != nil || rep.Stats.Sent != 12 || rep.Campaign.FinishedAt.IsZero() {
		t.Errorf("Report = %+v, %v; want 12 sent and a finish time", rep, err)
	}
}

func TestPrepareAfterFinishSendsNothing(t *testing.T) {
	e := newEnv(t, 3)
	svc := e.service(nil)
	first := e.send(t, svc, e.draft(t, issueV1))
	for _, tc := range []struct {
		name        string
		src         string
		wantChanged bool
	}{
		{name: "same issue", src: issueV1},
		{name: "edited issue", src: issueV2, wantChanged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := svc.Prepare(context.Background(), e.draft(t, tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if !p.Finished || p.Campaign.ID != first.Campaign.ID || p.Changed != tc.wantChanged || p.Stats.Sent != 3 {
				t.Errorf("Prepare = finished %v, campaign %d, changed %v, stats %+v; want finished campaign %d, changed %v, 3 sent",
					p.Finished, p.Campaign.ID, p.Changed, p.Stats, first.Campaign.ID, tc.wantChanged)
			}
		})
	}
	if n := len(e.srv.Messages()); n != 3 {
		t.Errorf("relay got %d messages; want 3", n)
	}
}

// TestResumeUsesTheSnapshot is the promise to the recipients of a resumed
// campaign: they get what everyone before them got, even if the file was
// edited in between.
func TestResumeUsesTheSnapshot(t *testing.T) {
	e := newEnv(t, 5)
	svc := e.service(nil)
	ctx := context.Background()
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Start(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	out, err := r.Send(cancelled, nil)
	if !errors.Is(err, context.Canceled) || out == nil || out.Campaign.Status != subscribers.CampaignSending {
		t.Fatalf("interrupted Send = %+v, %v; want context.Canceled and a campaign still sending", out, err)
	}

	p, err = svc.Prepare(ctx, e.draft(t, issueV2))
	if err != nil {
		t.Fatal(err)
	}
	if p.Campaign == nil || p.Campaign.ID != r.Campaign.ID || !p.Changed || p.Owed != 5 || p.Issue.Subject != "Weekly briefing" {
		t.Fatalf("Prepare after edit = campaign %v, changed %v, owed %d, subject %q; want campaign %d resumed with its snapshot",
			p.Campaign, p.Changed, p.Owed, p.Issue.Subject, r.Campaign.ID)
	}
	r, err = svc.Start(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Created {
		t.Error("Start created a campaign; want the interrupted one resumed")
	}
	if out, err = r.Send(ctx, nil); err != nil || out.Campaign.Status != subscribers.CampaignFinished {
		t.Fatalf("resumed Send = %+v, %v; want finished", out, err)
	}
	for _, m := range e.srv.Messages() {
		if !strings.Contains(string(m.Data), "Subject: Weekly briefing\r\n") {
			t.Errorf("message to %v does not have the snapshot's subject", m.To)
		}
	}
	if n := len(e.srv.Messages()); n != 5 {
		t.Errorf("relay got %d messages; want 5", n)
	}
}

func TestNewDraftStartsAFreshCampaign(t *testing.T) {
	e := newEnv(t, 2)
	svc := e.service(nil)
	first := e.send(t, svc, e.draft(t, issueV1))
	d := e.draft(t, issueV1)
	d.New = true
	second := e.send(t, svc, d)
	if second.Campaign.ID == first.Campaign.ID || second.Stats.Sent != 2 {
		t.Errorf("second campaign = %d with %d sent; want a new one with 2 sent", second.Campaign.ID, second.Stats.Sent)
	}
}

func TestPrepareRefusesAListWithNoActiveSubscriber(t *testing.T) {
	e := newEnv(t, 0)
	_, err := e.service(nil).Prepare(context.Background(), e.draft(t, issueV1))
	if !errors.Is(err, campaign.ErrNoRecipients) || !strings.Contains(err.Error(), `"clients"`) {
		t.Errorf("Prepare on an empty list = %v; want ErrNoRecipients naming the list", err)
	}
}

func TestSenderRefusalPausesTheCampaign(t *testing.T) {
	e := newEnv(t, 4)
	for _, to := range []string{"user0@example.com", "user1@example.com", "user2@example.com", "user3@example.com"} {
		e.srv.FailRcpt(to, 553, "5.7.1", "<bounces@example.com>: Sender address rejected: not owned by user newsletter")
	}
	out := e.send(t, e.service(nil), e.draft(t, issueV1))
	if !out.Paused() || out.Campaign.Status != subscribers.CampaignPaused ||
		!strings.Contains(out.Campaign.PauseReason, "Sender address rejected") {
		t.Errorf("Send = paused %v, campaign %+v; want paused with the relay's reply", out.Paused(), out.Campaign)
	}
}

// failingFind is the real store with FindCampaignByID failing after the
// run, which the real store cannot be made to do on demand.
type failingFind struct {
	*sqlite.Store
	fail bool
}

var errDisk = errors.New("disk I/O error")

func (f *failingFind) FindCampaignByID(ctx context.Context, id int64) (*subscribers.Campaign, error) {
	if f.fail {
		return nil, errDisk
	}
	return f.Store.FindCampaignByID(ctx, id)
}

// TestCampaignUnreadableAfterTheRunIsAnError pins the fix of the error
// that send used to ignore before using the campaign it had not read.
func TestCampaignUnreadableAfterTheRunIsAnError(t *testing.T) {
	e := newEnv(t, 2)
	store := &failingFind{Store: e.store}
	svc := e.service(store)
	ctx := context.Background()
	p, err := svc.Prepare(ctx, e.draft(t, issueV1))
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.Start(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	store.fail = true
	out, err := r.Send(ctx, nil)
	if out != nil || !errors.Is(err, errDisk) || !strings.Contains(err.Error(), "read it after the run") {
		t.Errorf("Send = %+v, %v; want no outcome and the read error", out, err)
	}
	st, err := e.store.FindCampaignStats(ctx, r.Campaign.ID)
	if err != nil || st.Sent != 2 {
		t.Errorf("stats = %+v, %v; want the 2 sent recorded all the same", st, err)
	}
}

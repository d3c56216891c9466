package campaign_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

const trackedIssue = `---
subject: 'Weekly briefing'
id: weekly-t
---
# Weekly briefing

## Patch now

Source: [Ledger](https://ledger.example.com/a).

## Distrust

Source: [Watch](https://watch.example.org/b).
`

func (e *env) trackingService(clicks subscribers.ClickTracking, opens subscribers.OpenTracking) *campaign.Service {
	tok, _ := subscribers.NewTokens("test-secret-0123456789abcdef")
	return campaign.New(campaign.Config{Sender: e.sender, Tracking: campaign.Tracking{Clicks: clicks, Opens: opens,
		BaseURL: "https://news.example.com", Tokens: tok}}, e.store)
}

// bodies returns the decoded messages the SMTP server received.
func (e *env) bodies(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range e.srv.Messages() {
		b, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(m.Data)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

var trackedLink = regexp.MustCompile(`https://news\.example\.com/l/(\d+)/(\d+)\.([0-9a-v]+)(/[0-9a-v]+)?`)

func TestSendAggregateTracking(t *testing.T) {
	e := newEnv(t, 2)
	svc := e.trackingService(subscribers.TrackAggregate, subscribers.OpensAggregate)
	out := e.send(t, svc, e.draft(t, trackedIssue))
	id := out.Campaign.ID
	links, err := e.store.FindCampaignLinks(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []subscribers.TrackedLink{{N: 1, URL: "https://ledger.example.com/a", Section: "Patch now"},
		{N: 2, URL: "https://watch.example.org/b", Section: "Distrust"}}
	if len(links) != 2 || links[0] != want[0] || links[1] != want[1] {
		t.Fatalf("links = %+v; want %+v", links, want)
	}
	bodies := e.bodies(t)
	if len(bodies) != 2 {
		t.Fatalf("%d messages", len(bodies))
	}
	for _, b := range bodies {
		if strings.Contains(b, "ledger.example.com") || strings.Contains(b, "watch.example.org") {
			t.Error("a message still links to a story directly")
		}
		for _, m := range trackedLink.FindAllStringSubmatch(b, -1) {
			if m[4] != "" {
				t.Errorf("aggregate link %s carries a token", m[0])
			}
		}
		if !strings.Contains(b, "/o/") {
			t.Error("no open pixel")
		}
	}
	// Both recipients got the very same links (HTML and text).
	if a, b := trackedLink.FindAllString(bodies[0], -1), trackedLink.FindAllString(bodies[1], -1); len(a) != 4 || strings.Join(a, " ") != strings.Join(b, " ") {
		t.Errorf("links differ or miss: %v vs %v", a, b)
	}
	ct, err := e.store.FindCampaignTracking(context.Background(), id)
	if err != nil || ct.Clicks != subscribers.TrackAggregate || ct.Opens != subscribers.OpensAggregate {
		t.Errorf("campaign tracking = %+v, %v", ct, err)
	}
}

func TestIndividualTrackingNeedsConsent(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	svc := e.trackingService(subscribers.TrackOff, subscribers.OpensOff)
	src := strings.Replace(trackedIssue, "id: weekly-t", "id: weekly-t\ntrack_clicks: individual", 1)
	if err := e.store.SetListTracking(ctx, subscribers.ListTracking{ListID: e.list.ID, Basis: subscribers.BasisLegitimateInterest}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Prepare(ctx, e.draft(t, src))
	if !errors.Is(err, subscribers.ErrTrackingBasis) || !strings.Contains(err.Error(), `list "clients" (basis: legitimate-interest)`) {
		t.Fatalf("individual on legitimate interest: err = %v; want ErrTrackingBasis naming the list and basis", err)
	}
	if len(e.srv.Messages()) != 0 {
		t.Fatal("sent despite the refusal")
	}
	if err := e.store.SetListTracking(ctx, subscribers.ListTracking{ListID: e.list.ID, Basis: subscribers.BasisConsent}); err != nil {
		t.Fatal(err)
	}
	e.send(t, svc, e.draft(t, src))
	tokens := map[string]bool{}
	for _, b := range e.bodies(t) {
		for _, m := range trackedLink.FindAllStringSubmatch(b, -1) {
			if m[4] == "" {
				t.Errorf("individual link %s has no token", m[0])
			}
			tokens[m[4]] = true
		}
	}
	if len(tokens) != 2 {
		t.Errorf("tokens = %v; want one per recipient", tokens)
	}
}

func TestTrackingOffLeavesLinks(t *testing.T) {
	e := newEnv(t, 1)
	svc := e.trackingService(subscribers.TrackOff, subscribers.OpensOff)
	out := e.send(t, svc, e.draft(t, trackedIssue))
	if b := e.bodies(t)[0]; !strings.Contains(b, "https://ledger.example.com/a") || strings.Contains(b, "/l/") || strings.Contains(b, "/o/") {
		t.Errorf("untracked message was rewritten:\n%s", b)
	}
	if links, err := e.store.FindCampaignLinks(context.Background(), out.Campaign.ID); err != nil || len(links) != 0 {
		t.Errorf("untracked campaign registered links %v, %v", links, err)
	}
}

// TestScheduledCampaignKeepsItsTracking schedules a tracked campaign, then
// starts it under a service whose configuration no longer tracks: it sends
// with the tracking it was scheduled with.
func TestScheduledCampaignKeepsItsTracking(t *testing.T) {
	e := newEnv(t, 2)
	ctx := context.Background()
	p, err := e.trackingService(subscribers.TrackAggregate, subscribers.OpensOff).Prepare(ctx, e.draft(t, trackedIssue))
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.trackingService(subscribers.TrackAggregate, subscribers.OpensOff).Schedule(ctx, p, time.Now().Add(-time.Second), "")
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.trackingService(subscribers.TrackOff, subscribers.OpensOff).StartCampaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run.Send(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, b := range e.bodies(t) {
		if strings.Contains(b, "ledger.example.com") || len(trackedLink.FindAllString(b, -1)) != 4 {
			t.Errorf("scheduled campaign sent untracked links:\n%s", b)
		}
	}
	if links, err := e.store.FindCampaignLinks(ctx, c.ID); err != nil || len(links) != 2 {
		t.Errorf("links = %v, %v; want 2", links, err)
	}
}

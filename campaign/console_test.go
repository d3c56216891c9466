package campaign_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/subscribers"
)

// TestConsoleSends: the console's plan, schedule and test copy go
// through the same Prepare and Schedule as `dispatch send --at`, and what
// the user must fix is marked ErrInvalid with the campaign's own words.
func TestConsoleSends(t *testing.T) {
	e := newEnv(t, 3)
	ctx := context.Background()
	c := &campaign.Console{Service: e.service(e.store), Tester: e.sender, Subscribers: e.store, Attributes: e.store}
	issue := compile(t, issueV1)

	owed, existing, err := c.Plan(ctx, issue, e.list)
	if err != nil || owed != 3 || existing != nil {
		t.Fatalf("Plan = %d, %v, %v; want 3 and no campaign", owed, existing, err)
	}
	at := time.Now().Add(time.Hour)
	camp, err := c.Schedule(ctx, issue, "console:issues/weekly/v1", e.list, false, at, "Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := e.store.FindCampaignControl(ctx, camp.ID)
	if err != nil || ctl.Hold != subscribers.HoldSchedule || ctl.ScheduledAt.Sub(at).Abs() > time.Millisecond {
		t.Errorf("control = %+v, %v; want scheduled at %s", ctl, err, at)
	}
	if _, existing, _ := c.Plan(ctx, issue, e.list); existing == nil || existing.ID != camp.ID {
		t.Errorf("Plan after scheduling: existing = %+v; want campaign %d", existing, camp.ID)
	}
	_, err = c.Schedule(ctx, issue, "p", e.list, false, at, "")
	if !errors.Is(err, subscribers.ErrInvalid) || !strings.Contains(err.Error(), "scheduled") {
		t.Errorf("scheduling it again = %v; want a refusal naming the schedule", err)
	}
	again, err := c.Schedule(ctx, issue, "p", e.list, true, time.Now(), "")
	if err != nil || again.ID == camp.ID {
		t.Errorf("again = %+v, %v; want a new campaign", again, err)
	}

	empty, err := e.store.CreateList(ctx, subscribers.NewList{Name: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Plan(ctx, issue, empty); !errors.Is(err, subscribers.ErrInvalid) || !errors.Is(err, campaign.ErrNoRecipients) {
		t.Errorf("Plan to an empty list = %v; want ErrNoRecipients marked ErrInvalid", err)
	}

	misspelt := compile(t, strings.Replace(issueV1, "Hello {{ .Name }}.", `Hello {{ .Attr "compnay" }}.`, 1))
	if _, _, err := c.Plan(ctx, misspelt, e.list); !errors.Is(err, subscribers.ErrInvalid) || !strings.Contains(err.Error(), "compnay") {
		t.Errorf("Plan of an attribute nobody has = %v; want the refusal of dispatch send", err)
	}
	if _, err := c.Schedule(ctx, misspelt, "p", e.list, true, time.Now(), ""); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("Schedule of an attribute nobody has = %v; want a refusal", err)
	}

	reply, err := c.TestSend(ctx, issue, e.list, "user1@example.com")
	if err != nil || !strings.HasPrefix(reply, "250 ") {
		t.Fatalf("TestSend = %q, %v", reply, err)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Data), "Hello User 1.") {
		t.Errorf("test copy to a subscriber should carry their name; relay got %d messages", len(msgs))
	}
	if _, err := c.TestSend(ctx, issue, e.list, "nobody"); !errors.Is(err, subscribers.ErrInvalid) {
		t.Errorf("TestSend to a bad address = %v; want ErrInvalid", err)
	}
	e.srv.FailRcpt("refused@example.com", 550, "5.1.1", "user unknown")
	if _, err := c.TestSend(ctx, issue, e.list, "refused@example.com"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("TestSend refused = %v; want the relay's 550", err)
	}
}

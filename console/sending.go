package console

import (
	"context"
	"time"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// Sending is the send use case as the console asks for it. The console
// does not send mail itself: cmd/dispatch wires campaign.Console (the
// same campaign.Service and mailer as `dispatch send`) behind this.
type Sending interface {
	// Relays names the relays that test copies and campaigns go through.
	Relays() []string
	// TestSend sends one test copy of issue, as for list, to one address
	// through the relay, outside any campaign. It returns what the relay
	// answered; an error carries the relay's refusal.
	TestSend(ctx context.Context, issue *templates.Compiled, list *subscribers.List, to string) (string, error)
	// Plan counts who a send of issue to list would mail now (the list's
	// active members, after suppressions) and returns the issue's existing
	// campaign to the list, if any. It changes nothing.
	Plan(ctx context.Context, issue *templates.Compiled, list *subscribers.List) (owed int, existing *subscribers.Campaign, err error)
	// Preflight runs the checks `dispatch send` runs before a send of
	// issue; a send with a failed check needs the admin's "send anyway",
	// as `dispatch send` needs --force.
	Preflight(ctx context.Context, issue *templates.Compiled) (doctor.Report, error)
	// Schedule creates a campaign of issue to list that the campaign
	// runner of `dispatch serve` starts at at (a time past or now starts
	// it at once, in the background). path is recorded with the campaign;
	// again makes a new campaign even if the issue was sent to the list.
	// A refusal the user can act on matches subscribers.ErrInvalid.
	Schedule(ctx context.Context, issue *templates.Compiled, path string, list *subscribers.List, again bool, at time.Time, zone string) (*subscribers.Campaign, error)
}

package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// Tester sends one test copy outside any campaign; *mailer.Sender is one.
type Tester interface {
	SendTest(ctx context.Context, tm mailer.TestMessage) error
	Relays() []string
}

// SubscriberFinder finds a subscriber by address, so that a test copy to
// a subscriber carries their own name, attributes and links.
type SubscriberFinder interface {
	FindSubscriberByEmail(ctx context.Context, email string) (*subscribers.Subscriber, error)
}

// Console is the send use case as the admin console asks for it: the same
// Prepare and Schedule as `dispatch send --at` (a send "now" is a
// schedule for now, which the campaign runner of `dispatch serve` starts
// at its next look), and the same test copy as `dispatch send --to`.
// Refusals (nothing to send, a campaign that exists, is scheduled, held
// or running elsewhere) match subscribers.ErrInvalid.
type Console struct {
	Service     *Service
	Tester      Tester
	Subscribers SubscriberFinder
	// Attributes, when set, refuses a send whose issue prints an
	// attribute no recipient has and gives no default, as `dispatch send`
	// refuses it.
	Attributes AttributeCounter
	// Checks, when set, runs the checks `dispatch send` runs before every
	// send (the doctor's configuration, message and DNS checks), so that
	// the console shows and enforces the same ones.
	Checks func(ctx context.Context, issue *templates.Compiled) (doctor.Report, error)
}

// Preflight runs Checks on issue; without them it finds nothing.
func (c *Console) Preflight(ctx context.Context, issue *templates.Compiled) (doctor.Report, error) {
	if c.Checks == nil {
		return doctor.Report{}, nil
	}
	return c.Checks(ctx, issue)
}

// AttributeCounter counts, per attribute name, the list's active members
// who have it.
type AttributeCounter interface {
	CountAttributes(ctx context.Context, listID int64) (map[string]int, error)
}

// checkAudience refuses an issue that would print an empty attribute to
// every one of the owed recipients.
func (c *Console) checkAudience(ctx context.Context, issue *templates.Compiled, list *subscribers.List, owed int) error {
	if c.Attributes == nil || len(issue.Attrs()) == 0 || owed == 0 {
		return nil
	}
	present, err := c.Attributes.CountAttributes(ctx, list.ID)
	if err != nil {
		return err
	}
	var msgs []string
	for _, ch := range issue.CheckAttrs(templates.Audience{Name: list.Name, Recipients: owed, Present: present}) {
		if ch.Severity == templates.SeverityError {
			msgs = append(msgs, ch.String())
		}
	}
	if len(msgs) > 0 {
		return refusal{fmt.Errorf("refusing to send to %s: %s", list.Name, strings.Join(msgs, "; "))}
	}
	return nil
}

// refusal marks an error as the user's to fix, keeping its message.
type refusal struct{ error }

func (r refusal) Is(target error) bool { return target == subscribers.ErrInvalid }
func (r refusal) Unwrap() error        { return r.error }

func refuse(err error) error {
	var running *RunningError
	var scheduled *ScheduledError
	var held *HeldError
	if errors.Is(err, ErrNoRecipients) || errors.Is(err, ErrExists) ||
		errors.As(err, &running) || errors.As(err, &scheduled) || errors.As(err, &held) {
		return refusal{err}
	}
	return err
}

// Relays names the relays test copies and campaigns go through.
func (c *Console) Relays() []string { return c.Tester.Relays() }

// TestSend sends one test copy of issue, as for list, to one address, and
// returns what the relay answered.
func (c *Console) TestSend(ctx context.Context, issue *templates.Compiled, list *subscribers.List, to string) (string, error) {
	to = subscribers.CleanEmail(to)
	if err := subscribers.ValidateEmail(to); err != nil {
		return "", refusal{fmt.Errorf("%q: %w", to, err)}
	}
	tm := mailer.TestMessage{Issue: issue, ListID: list.ID, ListName: list.Name, ListTitle: list.Title}
	sub, err := c.Subscribers.FindSubscriberByEmail(ctx, to)
	switch {
	case err == nil:
		tm.SubscriberID = sub.ID
		tm.Recipient = templates.Recipient{Email: sub.Email, Name: sub.Name, Attributes: sub.Attributes}
	case errors.Is(err, subscribers.ErrNotFound):
		tm.Recipient = templates.SampleRecipient()
		tm.Recipient.Email = to
	default:
		return "", err
	}
	if err := c.Tester.SendTest(ctx, tm); err != nil {
		return "", err
	}
	return "250 accepted by " + strings.Join(c.Tester.Relays()[:1], ""), nil
}

// Plan counts who a new campaign of issue to list would mail now, and
// returns the issue's latest campaign to the list, if any.
func (c *Console) Plan(ctx context.Context, issue *templates.Compiled, list *subscribers.List) (int, *subscribers.Campaign, error) {
	p, err := c.Service.Prepare(ctx, Draft{Issue: issue, List: list, New: true})
	if err != nil {
		return 0, nil, refuse(err)
	}
	if err := c.checkAudience(ctx, issue, list, p.Owed); err != nil {
		return 0, nil, err
	}
	existing, err := c.Service.store.FindLatestCampaign(ctx, issue.ID, list.ID)
	if errors.Is(err, subscribers.ErrNotFound) {
		return p.Owed, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	return p.Owed, existing, nil
}

// Schedule creates a campaign of issue to list started by the campaign
// runner at at (now or past: at its next look). again creates a new
// campaign even if the issue has one to the list; otherwise that is
// refused.
func (c *Console) Schedule(ctx context.Context, issue *templates.Compiled, path string, list *subscribers.List, again bool, at time.Time, zone string) (*subscribers.Campaign, error) {
	p, err := c.Service.Prepare(ctx, Draft{Issue: issue, Path: path, List: list, New: again})
	if err != nil {
		return nil, refuse(err)
	}
	if err := c.checkAudience(ctx, issue, list, p.Owed); err != nil {
		return nil, err
	}
	camp, err := c.Service.Schedule(ctx, p, at, zone)
	if err != nil {
		return nil, refuse(err)
	}
	return camp, nil
}

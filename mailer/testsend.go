package mailer

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"

	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

// TestMessage describes a single test copy sent with `dispatch send --to`.
type TestMessage struct {
	Issue        *templates.Compiled
	Recipient    templates.Recipient
	SubscriberID int64 // 0 when the address is not a subscriber
	ListID       int64
	ListName     string
	ListTitle    string // "" means ListName
}

// SendTest sends one copy of an issue outside any campaign: no ledger, no
// pacing, the first relay, "[Test]" before the subject. Its links and
// tokens are real, so they can be clicked through.
func (s *Sender) SendTest(ctx context.Context, tm TestMessage) error {
	return s.sendOne(ctx, tm, "[Test] ")
}

// SendTransactional sends one message outside any campaign, as SendTest
// does but with the subject as it is: the confirmation a subscribe form
// mails, for instance.
func (s *Sender) SendTransactional(ctx context.Context, tm TestMessage) error {
	return s.sendOne(ctx, tm, "")
}

func (s *Sender) sendOne(ctx context.Context, tm TestMessage, prefix string) error {
	m, err := s.buildTest(tm, prefix)
	if err != nil {
		return err
	}
	cn := &conn{relay: s.relays[0], idle: s.cfg.IdleTimeout}
	defer cn.close()
	if err := cn.ensure(ctx, s.cfg.Now()); err != nil {
		return err
	}
	if o := classify(cn.send(m, s.cfg.Now())); o.verdict != vSent {
		cn.dropIfReset(o)
		return fmt.Errorf("message to %s not accepted (%s): %s", tm.Recipient.Email, o.verdict, o.text)
	}
	return nil
}

// BuildTest returns the bytes SendTest would send, signature included,
// for checks that lint a message without sending it.
func (s *Sender) BuildTest(tm TestMessage) ([]byte, error) {
	m, err := s.buildTest(tm, "[Test] ")
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), m.data...), nil
}

func (s *Sender) buildTest(tm TestMessage, prefix string) (*message, error) {
	h, err := newHeaderSet(s.cfg, tm.Issue.From)
	if err != nil {
		return nil, err
	}
	h.list = h.listID(tm.ListName, tm.ListTitle, tm.ListID)
	r := tm.Recipient
	unsubToken := s.cfg.Tokens.Unsubscribe(subscribers.UnsubscribeRef{SubscriberID: tm.SubscriberID, ListID: tm.ListID})
	r.UnsubscribeURL = subscribers.UnsubscribeURL(s.cfg.BaseURL, unsubToken)
	r.ManageURL = s.manageURL(tm.SubscriberID)
	if r.WebURL == "" && s.cfg.BaseURL != "" {
		// No campaign yet: the address the issue will have once sent.
		r.WebURL = subscribers.ArchiveURL(s.cfg.BaseURL, tm.ListName, tm.Issue.ID)
	}
	out, err := tm.Issue.Render(r)
	if err != nil {
		return nil, fmt.Errorf("render for %s: %w", r.Email, err)
	}
	out.Subject = prefix + out.Subject
	// A random id far above real deliveries keeps the Message-ID unique.
	var b [8]byte
	rand.Read(b[:])
	id := int64(binary.BigEndian.Uint64(b[:])>>2) | 1<<60
	m := &message{}
	if err := s.build(m, h, envelope{deliveryID: id, listID: tm.ListID,
		subscriberID: tm.SubscriberID, email: r.Email, name: r.Name}, out, unsubToken, r.UnsubscribeURL); err != nil {
		return nil, err
	}
	return m, nil
}

// Relays names the configured relays, for confirmations and reports.
func (s *Sender) Relays() []string {
	out := make([]string, len(s.relays))
	for i, r := range s.relays {
		out[i] = r.name
	}
	return out
}

package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/bounce/apply"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Store is what the processor needs from the subscriber store: what
// applying a bounce needs, and what a mailto: unsubscribe needs.
// *sqlite.Store implements it.
type Store interface {
	apply.Store
	FindSubscriberByID(ctx context.Context, id int64) (*subscribers.Subscriber, error)
	Unsubscribe(ctx context.Context, subscriberID, listID, campaignID int64, actor, reason string) error
}

// Config configures a Processor.
type Config struct {
	Store  Store
	Tokens *subscribers.Tokens
	// BounceAddress is the base of the VERP envelope senders, e.g.
	// bounces@example.com (mailer's bounce_address).
	BounceAddress string
	// Policy decides when soft bounces suppress, and when a report tied to
	// no delivery may be matched by address; zero fields take the store's
	// defaults (3 within 30 days; mailed within 14 days, at most 5
	// recipients).
	Policy subscribers.BouncePolicy
	Logger *slog.Logger // nil discards
}

// Processor applies bounce-mailbox messages to the store. It is safe for
// concurrent use.
type Processor struct {
	cfg     Config
	log     *slog.Logger
	applier *apply.Applier
}

// New checks cfg and returns a Processor.
func New(cfg Config) (*Processor, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("bounce inbox: store is required")
	case cfg.Tokens == nil:
		return nil, errors.New("bounce inbox: tokens are required")
	case strings.LastIndexByte(cfg.BounceAddress, '@') <= 0:
		return nil, errors.New("bounce inbox: bounce address must be an address like bounces@example.com")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a, err := apply.New(apply.Config{Store: cfg.Store, Tokens: cfg.Tokens, Policy: cfg.Policy, LogPrefix: "bounce mail", Logger: log})
	if err != nil {
		return nil, fmt.Errorf("bounce inbox: %w", err)
	}
	return &Processor{cfg: cfg, log: log, applier: a}, nil
}

// Attribution says how a bounce or an unsubscribe was tied to a subscriber
// (see package bounce/apply).
type Attribution = apply.Attribution

// The ways a message is attributed, most trusted first.
const (
	AttrVERP      = apply.AttrVERP
	AttrMessageID = apply.AttrMessageID
	AttrHeader    = apply.AttrHeader
	AttrAddress   = apply.AttrAddress
	AttrToken     = apply.AttrToken
)

// Applied is one bounce or complaint recorded for one recipient.
type Applied = apply.Applied

// Unsubscription is an unsubscribe requested by mail to the mailto: address.
type Unsubscription struct {
	SubscriberID int64 `json:"subscriber_id"`
	ListID       int64 `json:"list_id"` // 0: every list
	CampaignID   int64 `json:"campaign_id,omitempty"`
	Already      bool  `json:"already,omitempty"` // was unsubscribed before; nothing changed
}

// Outcome is what processing one message did.
type Outcome struct {
	Source       string          `json:"source"`               // file path, mbox position or IMAP mailbox and UID
	MessageID    string          `json:"message_id,omitempty"` // of the notification itself
	Key          string          `json:"key,omitempty"`        // idempotency key of the message
	Type         bounce.Type     `json:"type,omitempty"`
	Delayed      bool            `json:"delayed,omitempty"` // a delay notice: still being tried
	FeedbackType string          `json:"feedback_type,omitempty"`
	Recipients   []Applied       `json:"recipients,omitempty"`
	Unsubscribe  *Unsubscription `json:"unsubscribe,omitempty"`
	// Duplicate: the message was processed before and nothing changed.
	Duplicate bool `json:"duplicate,omitempty"`
	// Unattributed: a bounce, complaint or unsubscribe that could not be
	// tied to a delivery Dispatch made nor matched by address under the
	// policy; Ignored says why. It changed no one, and bounces and
	// complaints are kept for review (dispatch bounces unattributed).
	Unattributed bool `json:"unattributed,omitempty"`
	// ReportRecipients is how many recipients the report named, including
	// any the parser left out at a limit (Truncated).
	ReportRecipients int    `json:"report_recipients,omitempty"`
	Truncated        string `json:"truncated,omitempty"` // the limits the message ran into
	Ignored          string `json:"ignored,omitempty"`   // why nothing was applied
	// SenderRefused holds the diagnostic of a bounce that blames the
	// sender (bounce.BlameSender: sender address, authentication, policy,
	// content): nothing is recorded against the recipient.
	SenderRefused string `json:"sender_refused,omitempty"`
	Error         string `json:"error,omitempty"`
}

// Summary counts the outcomes of a batch. Each message is counted in
// Messages and in exactly one of the other fields.
type Summary struct {
	Messages     int `json:"messages"`
	Bounces      int `json:"bounces"`
	Complaints   int `json:"complaints"`
	Unsubscribes int `json:"unsubscribes"`
	AutoReplies  int `json:"auto_replies"`
	Delays       int `json:"delays"`
	// SenderRefusals are bounces that blame the sender, not the recipient.
	SenderRefusals int `json:"sender_refusals"`
	Ignored        int `json:"ignored"`
	Duplicates     int `json:"duplicates"`
	Unattributed   int `json:"unattributed"`
	Errors         int `json:"errors"`
}

// Add counts one outcome.
func (s *Summary) Add(o Outcome) {
	s.Messages++
	switch {
	case o.Error != "":
		s.Errors++
	case o.Duplicate:
		s.Duplicates++
	case o.Unsubscribe != nil:
		s.Unsubscribes++
	case o.Unattributed:
		s.Unattributed++
	case o.Type == bounce.TypeAutoReply:
		s.AutoReplies++
	case o.Delayed:
		s.Delays++
	case o.SenderRefused != "":
		s.SenderRefusals++
	case o.Type == bounce.TypeBounce:
		s.Bounces++
	case o.Type == bounce.TypeComplaint:
		s.Complaints++
	default:
		s.Ignored++
	}
}

// Merge adds the counts of another summary.
func (s *Summary) Merge(o Summary) {
	s.Messages += o.Messages
	s.Bounces += o.Bounces
	s.Complaints += o.Complaints
	s.Unsubscribes += o.Unsubscribes
	s.AutoReplies += o.AutoReplies
	s.Delays += o.Delays
	s.SenderRefusals += o.SenderRefusals
	s.Ignored += o.Ignored
	s.Duplicates += o.Duplicates
	s.Unattributed += o.Unattributed
	s.Errors += o.Errors
}

package apply

import (
	"context"
	"errors"
	"log/slog"

	"github.com/dispatchhq/dispatch/subscribers"
)

// Store is what applying a report needs from the subscriber store.
type Store interface {
	FindDelivery(ctx context.Context, id int64) (*subscribers.Delivery, error)
	RecordBounce(ctx context.Context, b subscribers.Bounce, p subscribers.BouncePolicy) (subscribers.BounceResult, error)
	RecordUnattributed(ctx context.Context, r subscribers.UnattributedReport) (bool, error)
}

// Config configures an Applier.
type Config struct {
	Store Store
	// Tokens verifies the delivery tokens a report carries.
	Tokens *subscribers.Tokens
	// Policy decides when soft bounces suppress, and when a report tied to
	// no delivery may be matched by address; zero fields take the defaults
	// (subscribers.BouncePolicy.WithDefaults).
	Policy subscribers.BouncePolicy
	// LogPrefix starts every log message ("bounce mail", "webhook"), so
	// that the admin can tell the readers apart.
	LogPrefix string
	Logger    *slog.Logger // nil discards
}

// Applier applies reports to the store. It is safe for concurrent use.
type Applier struct {
	cfg  Config
	log  *slog.Logger
	msgs map[string]string // log messages with the prefix, built once
}

// New checks cfg and returns an Applier.
func New(cfg Config) (*Applier, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("bounce apply: store is required")
	case cfg.Tokens == nil:
		return nil, errors.New("bounce apply: tokens are required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.LogPrefix == "" {
		cfg.LogPrefix = "bounce"
	}
	msgs := make(map[string]string, len(logMessages))
	for _, m := range logMessages {
		msgs[m] = cfg.LogPrefix + ": " + m
	}
	return &Applier{cfg: cfg, log: log, msgs: msgs}, nil
}

// Policy is the policy the Applier applies, with defaults filled in.
func (a *Applier) Policy() subscribers.BouncePolicy { return a.cfg.Policy.WithDefaults() }

// The log messages of an Applier.
const (
	msgInvalidVERP = "invalid delivery token in VERP address"
	msgGone        = "delivery no longer exists"
	msgReportKept  = "unattributed report; recorded as unattributed, nothing changed"
	msgRedacted    = "complaint names another address (redacted?); attributing to the delivery's subscriber"
	msgForwarded   = "reported address differs from the delivery's subscriber (forwarded?); attributing to the subscriber"
	msgAddressKept = "report tied to no delivery; recorded as unattributed, nothing changed"
	msgRecorded    = "recorded"
	msgRefused     = "refused for a reason about the sender; nothing recorded against the recipient"
)

var logMessages = []string{msgInvalidVERP, msgGone, msgReportKept, msgRedacted, msgForwarded, msgAddressKept, msgRecorded, msgRefused}

// msg prefixes a log message; prefixing is done once, in New, because
// applying a bounce logs on every call.
func (a *Applier) msg(s string) string { return a.msgs[s] }

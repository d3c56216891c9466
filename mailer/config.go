package mailer

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/subscribers"
)

// Relay is one SMTP server to send through.
type Relay struct {
	Name     string // for logs and the ledger; defaults to host:port
	Host     string
	Port     int
	Username string
	Password string
	// TLS is how the connection is encrypted; Unset means STARTTLS.
	TLS tlsmode.Mode
	// Rate caps this relay in messages per second (0 = only the global rate).
	Rate float64
	// Concurrency is the number of connections to this relay.
	Concurrency int
	// MaxMessagesPerConnection reconnects after this many messages (0 = never).
	MaxMessagesPerConnection int
	Timeout                  time.Duration
	HELO                     string
	// AllowInsecureAuth lets AUTH run over a connection without TLS to a
	// host that is not loopback (smtp.allow_insecure_auth).
	AllowInsecureAuth bool
	// RootCAs and InsecureSkipVerify tune certificate checks (tests, private CAs).
	RootCAs            *x509.CertPool
	InsecureSkipVerify bool

	// Chunking sends each message with "BDAT n LAST" (RFC 3030) in the
	// same write as MAIL and RCPT when the relay offers CHUNKING and
	// PIPELINING: one round trip per message instead of two. Off by
	// default: see the note on CHUNKING in pipeline.go.
	Chunking bool
}

func (r Relay) name() string {
	if r.Name != "" {
		return r.Name
	}
	return fmt.Sprintf("%s:%d", r.Host, r.Port)
}

// Config is everything the mailer needs; the command fills it from the
// configuration file.
type Config struct {
	Relays []Relay
	// Rate is the shared limit in messages per second over every connection
	// of every relay (0 = unlimited).
	Rate        float64
	HourlyLimit int // messages per rolling hour, over all campaigns (0 = none)
	DailyLimit  int // messages per rolling 24 hours (0 = none)
	// RetryBackoff is the first retry delay after a temporary failure; it
	// doubles per attempt, with jitter. Default 30s.
	RetryBackoff time.Duration
	// MaxAttempts is how many times a delivery is tried before it fails for
	// good. Default 5.
	MaxAttempts int
	// PauseAfter pauses the campaign after this many consecutive refusals
	// that are about the sender or the content, not the recipient. Default 10.
	PauseAfter int
	// IdleTimeout closes a connection unused for this long. Default 30s.
	IdleTimeout time.Duration
	// RelayDownPause pauses the campaign when no relay has accepted a
	// connection for this long. Until then the run waits for the relays,
	// trying again with backoff. Default 10m.
	RelayDownPause time.Duration

	From          string // default From header; an issue may override it
	ReplyTo       string
	BounceAddress string // envelope sender base for VERP; empty: From's address
	BaseURL       string // where `dispatch serve` is reachable, for unsubscribe links
	// CFBLAddress, when set, is the RFC 9477 complaint feedback address
	// announced in every message; its domain must align with DKIM's.
	CFBLAddress  string
	Tokens       *subscribers.Tokens
	BouncePolicy subscribers.BouncePolicy
	DKIM         *DKIM

	Logger *slog.Logger
	// Now and Sleep are the clock; tests replace them.
	Now   func() time.Time
	Sleep func(time.Duration)
}

func (c *Config) withDefaults() Config {
	cfg := *c
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.PauseAfter <= 0 {
		cfg.PauseAfter = 10
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	if cfg.RelayDownPause <= 0 {
		cfg.RelayDownPause = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = time.Sleep
	}
	relays := make([]Relay, len(cfg.Relays))
	for i, r := range cfg.Relays {
		if r.Concurrency <= 0 {
			r.Concurrency = 1
		}
		if r.Timeout <= 0 {
			r.Timeout = 30 * time.Second
		}
		r.TLS = r.TLS.Or(tlsmode.StartTLS)
		relays[i] = r
	}
	cfg.Relays = relays
	return cfg
}

// Errors of New for a Config that cannot send. The command names the
// settings that fix them.
var (
	ErrNoRelay   = errors.New("mailer: no SMTP relay configured")
	ErrNoFrom    = errors.New("mailer: no From address")
	ErrNoTokens  = errors.New("mailer: no signing key for unsubscribe links")
	ErrNoBaseURL = errors.New("mailer: no base URL for unsubscribe links")
)

func (c *Config) validate() error {
	var errs []error
	if len(c.Relays) == 0 {
		errs = append(errs, ErrNoRelay)
	}
	for _, r := range c.Relays {
		if r.Host == "" {
			errs = append(errs, fmt.Errorf("relay %s: host is empty", r.name()))
		}
		if !r.TLS.Known() {
			errs = append(errs, fmt.Errorf("relay %s: %v is not a TLS mode", r.name(), r.TLS))
		}
		if err := checkCleartextAuth(r); err != nil {
			errs = append(errs, err)
		}
	}
	if c.From == "" {
		errs = append(errs, ErrNoFrom)
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from %q: %w", c.From, err))
	}
	if c.CFBLAddress != "" {
		a, err := mail.ParseAddress(c.CFBLAddress)
		switch {
		case err != nil || a.Name != "":
			errs = append(errs, fmt.Errorf("cfbl address %q is not a bare address", c.CFBLAddress))
		case c.DKIM == nil:
			errs = append(errs, errors.New("a cfbl address needs DKIM signing: RFC 9477 receivers ignore unsigned CFBL fields"))
		}
	}
	if c.Tokens == nil {
		errs = append(errs, ErrNoTokens)
	}
	if c.BaseURL == "" {
		errs = append(errs, ErrNoBaseURL)
	}
	return errors.Join(errs...)
}

package doctor

import (
	"context"
	"crypto"
	"net/http"
	"time"

	"github.com/dispatchhq/dispatch/internal/loopback"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

// Config is what the checks look at. The command fills it from the
// configuration; empty fields skip the checks that need them.
type Config struct {
	// BaseURL is where `dispatch serve` answers for links in mail.
	BaseURL string
	// PostalAddress is the sender's postal address shown in footers.
	PostalAddress string
	// SecretProblem says why the signing secret is unfit; nil when it is fine.
	SecretProblem error
	// From is the address in the From header; BounceAddress the envelope
	// sender (VERP base), which defaults to From.
	From          string
	BounceAddress string
	// CFBLAddress is the RFC 9477 complaint feedback address, if any.
	CFBLAddress string
	Relays      []Relay
	// DKIM is nil when Dispatch does not sign.
	DKIM *DKIM
	// Resolver is the DNS server ("host:port") to ask; empty uses the
	// system's resolver.
	Resolver string
	// OneClickToken is a signed token that `dispatch serve` answers with
	// success without changing anything.
	OneClickToken string
	// Probe connects to relay i without sending mail. Nil skips the relay
	// checks.
	Probe func(ctx context.Context, i int) (RelayInfo, error)
	// RelayHint says which setting fixes the error of a failed Probe of
	// relay i, in the caller's terms; nil or "" gives no hint.
	RelayHint func(i int, err error) string
	// HTTPClient makes the one-click requests; nil uses a client with a
	// 10-second timeout.
	HTTPClient *http.Client
}

// relayHint is the setting to fix after relay i failed with err, if the
// caller knows one.
func (c *Config) relayHint(i int, err error) string {
	if c.RelayHint == nil {
		return ""
	}
	return c.RelayHint(i, err)
}

// Relay describes one configured SMTP relay.
type Relay struct {
	Name       string
	Host       string
	Port       int
	TLS        tlsmode.Mode
	SkipVerify bool
	Auth       bool // credentials are configured
}

// DKIM is the signing identity: the key is published at
// Selector._domainkey.Domain.
type DKIM struct {
	Domain   string
	Selector string
	Key      crypto.Signer
}

// RelayInfo is what a connection to a relay showed, without sending mail.
type RelayInfo struct {
	TLS        bool   // the session is encrypted (STARTTLS or implicit)
	TLSVersion string // e.g. "TLS 1.3"
	Verified   bool   // the certificate was checked against trusted roots
	Extensions map[string]string
	Auth       bool // AUTH succeeded
	RTT        time.Duration
}

// Local reports whether every relay is on this machine (quickstart,
// --capture, a local catcher). Then a private base URL and a relay without
// TLS are only warnings: nothing leaves the machine.
func (c *Config) Local() bool {
	if len(c.Relays) == 0 {
		return false
	}
	for _, r := range c.Relays {
		if !loopback.IsHost(r.Host) {
			return false
		}
	}
	return true
}

package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// relayState is a relay shared by its workers: its own pace, and a circuit
// that opens when connecting keeps failing so its work flows to the others.
type relayState struct {
	cfg   Relay
	name  string
	pace  *pacer
	clock func() time.Time

	mu        sync.Mutex
	failures  int       // consecutive connection failures
	downUntil time.Time // circuit open until then
	lastErr   string
}

const failuresToOpen = 3

func (r *relayState) healthy(now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !now.Before(r.downUntil)
}

func (r *relayState) reopensAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downUntil
}

func (r *relayState) connFailed(now time.Time, cooldown time.Duration, err error) (opened bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures++
	r.lastErr = err.Error()
	if r.failures >= failuresToOpen && !now.Before(r.downUntil) {
		r.downUntil = now.Add(cooldown)
		return true
	}
	return false
}

func (r *relayState) connOK() {
	r.mu.Lock()
	r.failures = 0
	r.mu.Unlock()
}

// conn is one worker's persistent SMTP connection.
type conn struct {
	relay   *relayState
	client  *gomail.Client
	open    bool
	sent    int
	lastUse time.Time
	idle    time.Duration
}

func newClient(r Relay) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(r.Port),
		gomail.WithTimeout(r.Timeout),
		// go-mail sends NOOP before each Send and RSET after each accepted
		// message: two round trips of six. A completed transaction needs no
		// RSET (RFC 5321 4.1.1.5), go-mail still sends one after a refused
		// MAIL or RCPT, and the connection deadline is renewed at every Send,
		// which Dispatch calls once per message.
		gomail.WithoutNoop(),
		gomail.WithoutRset(),
	}
	tlsCfg := &tls.Config{ServerName: r.Host, MinVersion: tls.VersionTLS12, RootCAs: r.RootCAs,
		InsecureSkipVerify: r.InsecureSkipVerify} //nolint:gosec // opt-in for private relays
	switch r.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsCfg))
	case "tls":
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tlsCfg))
	}
	if r.HELO != "" {
		opts = append(opts, gomail.WithHELO(r.HELO))
	}
	if r.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if r.TLS == "none" {
			// Without TLS, go-mail only offers challenge mechanisms; a
			// plain-text relay on a private network is the admin's choice.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth), gomail.WithUsername(r.Username), gomail.WithPassword(r.Password))
	}
	c, err := gomail.NewClient(r.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client for %s: %w", r.name(), err)
	}
	return c, nil
}

// ensure dials if needed, and redials after MaxMessagesPerConnection
// messages or when the connection sat idle long enough for the server to
// have dropped it.
func (c *conn) ensure(ctx context.Context, now time.Time) error {
	if c.open {
		max := c.relay.cfg.MaxMessagesPerConnection
		if (max > 0 && c.sent >= max) || now.Sub(c.lastUse) > c.idle {
			c.close()
		}
	}
	if c.open {
		return nil
	}
	if c.client == nil {
		cl, err := newClient(c.relay.cfg)
		if err != nil {
			return err
		}
		c.client = cl
	}
	dctx, cancel := context.WithTimeout(ctx, c.relay.cfg.Timeout)
	defer cancel()
	if err := c.client.DialWithContext(dctx); err != nil {
		return fmt.Errorf("connect to %s: %w", c.relay.name, err)
	}
	c.open, c.sent, c.lastUse = true, 0, now
	return nil
}

func (c *conn) send(m *gomail.Msg, now time.Time) error {
	c.sent++
	c.lastUse = now
	return c.client.Send(m)
}

func (c *conn) close() {
	if c.open && c.client != nil {
		_ = c.client.Close() // QUIT; the connection may already be gone
	}
	c.open = false
}

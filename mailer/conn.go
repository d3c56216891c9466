package mailer

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// conn is one worker's persistent SMTP connection. go-mail dials it
// (TLS, STARTTLS, AUTH, EHLO); the mail transactions are ours (send), on
// the connection of go-mail's smtp.Client.
type conn struct {
	relay   *relayState
	client  *gomail.Client // dial settings, kept across redials
	sc      *smtp.Client   // nil while closed
	ext     extensions     // what the relay advertised on this connection
	ehlo    ehloTimer      // times the EHLO of each dial
	sent    int
	lastUse time.Time
	idle    time.Duration
}

// extensions are the EHLO keywords the transaction layer uses.
type extensions struct {
	pipelining bool // RFC 2920: MAIL, RCPT and DATA in one write
	chunking   bool // RFC 3030: BDAT, offered and chosen (Relay.Chunking)
	eightBit   bool // RFC 6152: MAIL FROM gets BODY=8BITMIME, as go-mail does
	smtpUTF8   bool // RFC 6531
}

func newClient(r Relay, ehlo *ehloTimer) (*gomail.Client, error) {
	if err := checkCleartextAuth(r); err != nil {
		return nil, err
	}
	opts := []gomail.Option{
		gomail.WithPort(r.Port),
		gomail.WithTimeout(r.Timeout),
		// Debug logging times the EHLO (see ehloTimer); ensure turns it
		// off once the connection is up.
		gomail.WithLogger(ehlo), gomail.WithDebugLog(),
	}
	tlsCfg := &tls.Config{ServerName: r.Host, MinVersion: tls.VersionTLS12, RootCAs: r.RootCAs,
		InsecureSkipVerify: r.InsecureSkipVerify} //nolint:gosec // opt-in for private relays
	switch r.TLS {
	case tlsmode.None:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case tlsmode.StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tlsCfg))
	case tlsmode.Implicit:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tlsCfg))
	}
	if r.HELO != "" {
		opts = append(opts, gomail.WithHELO(r.HELO))
	}
	if r.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if r.TLS == tlsmode.None {
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
	if c.sc != nil {
		max := c.relay.cfg.MaxMessagesPerConnection
		if (max > 0 && c.sent >= max) || now.Sub(c.lastUse) > c.idle {
			c.close()
		}
	}
	if c.sc != nil {
		return nil
	}
	if c.client == nil {
		cl, err := newClient(c.relay.cfg, &c.ehlo)
		if err != nil {
			return err
		}
		c.client = cl
	}
	dctx, cancel := context.WithTimeout(ctx, c.relay.cfg.Timeout)
	defer cancel()
	c.ehlo.reset()
	sc, err := c.client.DialToSMTPClientWithContext(dctx)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.relay.name, err)
	}
	sc.SetDebugLog(false)
	c.relay.rtt.add(c.ehlo.rtt)
	c.sc, c.sent, c.lastUse = sc, 0, now
	c.ext = extensions{}
	c.ext.pipelining, _ = sc.Extension("PIPELINING")
	c.ext.chunking, _ = sc.Extension("CHUNKING")
	c.ext.chunking = c.ext.chunking && c.relay.cfg.Chunking
	c.ext.eightBit, _ = sc.Extension("8BITMIME")
	c.ext.smtpUTF8, _ = sc.Extension("SMTPUTF8")
	return nil
}

// close ends the session with QUIT, waiting for the reply no longer than
// the relay's timeout, and closes the connection.
func (c *conn) close() {
	if c.sc == nil {
		return
	}
	if c.sc.UpdateDeadline(min(c.relay.cfg.Timeout, 5*time.Second)) != nil || c.sc.Quit() != nil {
		_ = c.sc.Close() // Quit leaves the socket open when it fails
	}
	c.sc = nil
}

// dropIfReset drops the connection after an outcome that asks for it: with
// QUIT when the server is still talking, without when it is not.
func (c *conn) dropIfReset(o outcome) {
	switch {
	case !o.reset:
	case o.code == 0 || o.code == 421:
		c.abandon()
	default:
		c.close()
	}
}

// abandon closes a connection that is broken or out of step, without QUIT.
func (c *conn) abandon() {
	if c.sc != nil {
		_ = c.sc.Close()
		c.sc = nil
	}
}

package inbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/dispatchhq/dispatch/bounce"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
)

// IMAPConfig says which mailbox to poll and what to do with what was read.
//
// With Processed empty, messages stay in Mailbox and are flagged \Seen once
// processed, and each pass fetches only messages without \Seen: a person
// reading the bounce mailbox in a mail client hides messages from the
// poller. With Processed set, every message in Mailbox is fetched and moved
// to Processed (created if missing) once processed, so Mailbox only holds
// what is still to do. Either way, a message whose processing failed in the
// store is left as it was and tried again next pass, while one that is not
// a message at all is treated as processed, since retrying cannot help.
type IMAPConfig struct {
	Host     string
	Port     int // default 993 for tls, 143 otherwise
	Username string
	Password string
	TLS      tlsmode.Mode // default implicit TLS; None only for a server on the same host
	Mailbox  string       // default INBOX
	// Interval is the time between RunIMAP passes (default 5 minutes).
	Interval time.Duration
	// Processed is the mailbox processed messages are moved to; "" flags
	// them \Seen instead.
	Processed          string
	InsecureSkipVerify bool // accept any server certificate (tests, self-signed setups)
	// Polled, if set, is called after each pass of RunIMAP that read the
	// mailbox, with the time it ended: `dispatch serve` records it so the
	// console can warn about a mailbox no longer read.
	Polled func(at time.Time)
}

// withDefaults fills zero fields and checks the rest.
func (c IMAPConfig) withDefaults() (IMAPConfig, error) {
	if c.Host == "" {
		return c, errors.New("imap: host is required")
	}
	if c.Username == "" {
		return c, errors.New("imap: username is required")
	}
	if !c.TLS.Known() {
		return c, fmt.Errorf("imap: %v is not a TLS mode", c.TLS)
	}
	c.TLS = c.TLS.Or(tlsmode.Implicit)
	if c.Port == 0 {
		c.Port = 143
		if c.TLS == tlsmode.Implicit {
			c.Port = 993
		}
	}
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.Processed != "" && c.Processed == c.Mailbox {
		return c, errors.New("imap: processed mailbox must differ from the polled mailbox")
	}
	return c, nil
}

// imapBatch is how many messages are fetched per FETCH command; processed
// messages are flagged or moved after each batch, so an interrupted pass
// loses little.
const imapBatch = 50

// imapTimeout bounds connecting and the TLS handshake.
const imapTimeout = 30 * time.Second

// PollIMAP makes one pass over the mailbox: connect, process what is new,
// flag or move it (see IMAPConfig), log out. Message failures are counted
// in the Summary and logged; the error is for the connection, the mailbox
// or a cancelled ctx, with the Summary of what was done before it.
func (p *Processor) PollIMAP(ctx context.Context, cfg IMAPConfig, fn func(Outcome)) (Summary, error) {
	var sum Summary
	cfg, err := cfg.withDefaults()
	if err != nil {
		return sum, err
	}
	c, stop, err := dialIMAP(ctx, cfg)
	if err != nil {
		return sum, err
	}
	defer c.Close()
	defer stop()
	err = p.pollIMAP(ctx, c, cfg, &sum, fn)
	if ctx.Err() != nil {
		return sum, ctx.Err()
	}
	if err != nil {
		return sum, err
	}
	if err := c.Logout().Wait(); err != nil {
		p.log.DebugContext(ctx, "imap logout", "err", err)
	}
	return sum, nil
}

func (p *Processor) pollIMAP(ctx context.Context, c *imapclient.Client, cfg IMAPConfig, sum *Summary, fn func(Outcome)) error {
	if err := c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
		return fmt.Errorf("imap login as %s: %w", cfg.Username, err)
	}
	if _, err := c.Select(cfg.Mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("imap select %s: %w", cfg.Mailbox, err)
	}
	if cfg.Processed != "" {
		if err := ensureMailbox(c, cfg.Processed); err != nil {
			return err
		}
	}
	criteria := &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}
	if cfg.Processed == "" {
		criteria.NotFlag = append(criteria.NotFlag, imap.FlagSeen)
	}
	found, err := c.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return fmt.Errorf("imap search %s: %w", cfg.Mailbox, err)
	}
	uids := found.AllUIDs()
	for len(uids) > 0 && ctx.Err() == nil {
		n := min(len(uids), imapBatch)
		batch := uids[:n]
		uids = uids[n:]
		done, ferr := p.fetchIMAP(ctx, c, cfg, batch, sum, fn)
		if len(done) > 0 {
			if err := markProcessed(c, cfg, done); err != nil {
				return err
			}
		}
		if ferr != nil {
			return ferr
		}
	}
	return nil
}

// fetchIMAP fetches and processes one batch, returning the UIDs that are
// done with. Messages are read one at a time as they arrive, so a batch of
// large bounces is never all in memory.
func (p *Processor) fetchIMAP(ctx context.Context, c *imapclient.Client, cfg IMAPConfig, uids []imap.UID, sum *Summary, fn func(Outcome)) ([]imap.UID, error) {
	// PEEK leaves \Seen alone until the message is processed.
	section := &imap.FetchItemBodySection{Peek: true, Partial: &imap.SectionPartial{Offset: 0, Size: readLimit}}
	cmd := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	var done []imap.UID
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return done, fmt.Errorf("imap fetch %s: %w", cfg.Mailbox, err)
		}
		if buf.UID == 0 {
			continue
		}
		src := fmt.Sprintf("imap:%s/%d", cfg.Mailbox, buf.UID)
		raw := buf.FindBodySection(section)
		if raw == nil && len(buf.BodySection) > 0 {
			// A server that echoes the section without its <0> origin.
			raw = buf.BodySection[0].Bytes
		}
		if raw == nil {
			// Not an empty message: no body at all. Leave it for the next
			// pass rather than mark it done unread.
			p.log.WarnContext(ctx, "imap fetch returned no body", "source", src)
			continue
		}
		err = p.handle(ctx, raw, src, sum, fn)
		if err == nil || errors.Is(err, bounce.ErrNotMessage) {
			done = append(done, buf.UID)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if err := cmd.Close(); err != nil {
		return done, fmt.Errorf("imap fetch %s: %w", cfg.Mailbox, err)
	}
	return done, nil
}

// markProcessed flags or moves processed messages.
func markProcessed(c *imapclient.Client, cfg IMAPConfig, uids []imap.UID) error {
	set := imap.UIDSetNum(uids...)
	if cfg.Processed != "" {
		// Without the MOVE extension the client falls back to COPY, STORE
		// \Deleted and EXPUNGE.
		if _, err := c.Move(set, cfg.Processed).Wait(); err != nil {
			return fmt.Errorf("imap move to %s: %w", cfg.Processed, err)
		}
		return nil
	}
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
	if err := c.Store(set, store, nil).Close(); err != nil {
		return fmt.Errorf("imap flag seen: %w", err)
	}
	return nil
}

// ensureMailbox creates a mailbox unless it exists.
func ensureMailbox(c *imapclient.Client, name string) error {
	if _, err := c.Status(name, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
		return nil
	}
	if err := c.Create(name, nil).Wait(); err != nil {
		return fmt.Errorf("imap create %s: %w", name, err)
	}
	return nil
}

// dialIMAP connects and waits for the greeting. The IMAP client takes no
// contexts, so the connection is closed when ctx ends, which fails any
// command in flight; stop releases that watch.
func dialIMAP(ctx context.Context, cfg IMAPConfig) (*imapclient.Client, func() bool, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := net.Dialer{Timeout: imapTimeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("imap connect %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	fail := func(err error) (*imapclient.Client, func() bool, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, err
	}
	tlsCfg := &tls.Config{ServerName: cfg.Host, InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12}
	opts := &imapclient.Options{TLSConfig: tlsCfg}
	var c *imapclient.Client
	switch cfg.TLS {
	case tlsmode.Implicit:
		tc := tls.Client(conn, tlsCfg)
		hctx, cancel := context.WithTimeout(ctx, imapTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("imap tls handshake with %s: %w", addr, err))
		}
		c = imapclient.New(tc, opts)
	case tlsmode.StartTLS:
		c, err = imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return fail(fmt.Errorf("imap starttls with %s: %w", addr, err))
		}
	default:
		c = imapclient.New(conn, opts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return fail(fmt.Errorf("imap greeting from %s: %w", addr, err))
	}
	return c, stop, nil
}

// RunIMAP polls the mailbox now and then every cfg.Interval until ctx ends,
// logging failed passes and carrying on. It blocks; it returns an error
// at once for an invalid cfg, else ctx.Err() when ctx ends.
func (p *Processor) RunIMAP(ctx context.Context, cfg IMAPConfig, fn func(Outcome)) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	for {
		sum, err := p.PollIMAP(ctx, cfg, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && cfg.Polled != nil {
			cfg.Polled(time.Now())
		}
		switch {
		case err != nil:
			p.log.ErrorContext(ctx, "bounce mailbox poll failed", "host", cfg.Host, "mailbox", cfg.Mailbox, "err", err)
		case sum.Messages > 0:
			p.log.InfoContext(ctx, "bounce mailbox polled", "mailbox", cfg.Mailbox, "messages", sum.Messages,
				"bounces", sum.Bounces, "complaints", sum.Complaints, "unsubscribes", sum.Unsubscribes,
				"duplicates", sum.Duplicates, "unattributed", sum.Unattributed, "errors", sum.Errors)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

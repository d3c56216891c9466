package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/bounce/inbox"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// startBouncePoller polls the bounce mailbox from `dispatch serve` when
// bounces.imap.host is set.
func (a *app) startBouncePoller(ctx context.Context, g *errgroup.Group, s *sqlite.Store, tokens *subscribers.Tokens) error {
	c := a.cfg.Bounces.IMAP
	if c.Host == "" {
		return nil
	}
	p, err := a.inboxProcessor(s, tokens)
	if err != nil {
		return err
	}
	cfg := inbox.IMAPConfig{
		Host:               c.Host,
		Port:               c.Port,
		Username:           c.Username,
		Password:           c.Password,
		TLS:                c.TLS,
		Mailbox:            c.Mailbox,
		Interval:           c.Interval,
		InsecureSkipVerify: c.TLSSkipVerify,
	}
	log := a.serverLogger()
	// The console's dashboard warns when the mailbox has not been read
	// for a while; this records each pass that read it.
	cfg.Polled = func(at time.Time) {
		if err := s.SaveCheckReport(ctx, console.BounceMailboxPollKey, []byte("ok"), at); err != nil && ctx.Err() == nil {
			log.Warn("record bounce mailbox poll", "err", err)
		}
	}
	fmt.Fprintf(a.stdout, "Polling %s:%d/%s for bounces every %s.\n", c.Host, c.Port, c.Mailbox, c.Interval)
	g.Go(func() error {
		err := p.RunIMAP(ctx, cfg, func(o inbox.Outcome) {
			log.Info("bounce mailbox", "type", o.Type, "duplicate", o.Duplicate, "recipients", len(o.Recipients), "error", o.Error)
		})
		if ctx.Err() != nil {
			return nil
		}
		return err
	})
	return nil
}

package main

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/bounce/inbox"
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
	cfg := inbox.IMAPConfig{Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, TLS: c.TLS,
		Mailbox: c.Mailbox, Interval: c.Interval, InsecureSkipVerify: c.TLSSkipVerify}
	log := a.serverLogger()
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

package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/sqlite"
)

// startConsole opens the admin console on admin.listen, unless
// admin.enabled is false, and runs it in g.
func (a *app) startConsole(ctx context.Context, g *errgroup.Group, s *sqlite.Store) error {
	c := a.cfg.Admin
	if !c.Enabled {
		return nil
	}
	srv, err := console.New(console.Config{
		Listen:        c.Listen,
		BaseURL:       c.BaseURL,
		Store:         s,
		SiteName:      a.cfg.Web.SiteName,
		IdleTimeout:   c.SessionIdle,
		Lifetime:      c.SessionLifetime,
		BounceMailbox: a.cfg.Bounces.IMAP.Host != "",
		// Twice the poll interval: one missed poll is not yet a problem.
		BounceMailboxStale: 2*a.cfg.Bounces.IMAP.Interval + time.Minute,
		HowToAddUser:       selfCommand() + " users add you@example.com",
		Logger:             a.serverLogger(),
	})
	if err != nil {
		return err
	}
	if err := srv.Open(); err != nil {
		return fmt.Errorf("admin console (admin.listen): %w", err)
	}
	base := c.BaseURL
	if base == "" {
		base = "http://" + srv.Addr()
	}
	fmt.Fprintf(a.stdout, "Admin console on http://%s (links use %s).\n", srv.Addr(), base)
	n, err := s.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(a.stdout, "No console account yet: create one with `%s users add you@example.com`.\n", selfCommand())
	}
	g.Go(func() error { return srv.Run(ctx) })
	return nil
}

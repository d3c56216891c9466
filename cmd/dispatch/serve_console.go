package main

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/console"
	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/internal/consolecampaigns"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/templates"
)

// startConsole opens the admin console on admin.listen, unless
// admin.enabled is false, and runs it in g.
func (a *app) startConsole(ctx context.Context, g *errgroup.Group, s *sqlite.Store) error {
	c := a.cfg.Admin
	if !c.Enabled {
		return nil
	}
	runner, uploads, err := a.consoleImports(ctx, s)
	if err != nil {
		return fmt.Errorf("admin console imports: %w", err)
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
		Campaigns:          consolecampaigns.New(a.campaignService(s, nil, "serve")),
		Logger:             a.serverLogger(),
		Imports:            runner,
		Uploads:            uploads,
		ImportLimits:       a.cfg.Import.limits(),
		Issues:             a.templateConfig(""),
		Sending:            a.consoleSending(s),
		TypedConfirmAbove:  c.TypedConfirmAbove,
	})
	if err != nil {
		runner.Close()
		return err
	}
	if err := srv.Open(); err != nil {
		runner.Close()
		return fmt.Errorf("admin console (admin.listen): %w", err)
	}
	base := c.BaseURL
	if base == "" {
		base = "http://" + srv.Addr()
	}
	fmt.Fprintf(a.stdout, "Admin console on http://%s (links use %s).\n", srv.Addr(), base)
	n, err := s.CountUsers(ctx)
	if err != nil {
		srv.Close(ctx)
		runner.Close()
		return err
	}
	if n == 0 {
		fmt.Fprintf(a.stdout, "No console account yet: create one with `%s users add you@example.com`.\n", selfCommand())
	}
	g.Go(func() error {
		err := srv.Run(ctx)
		// Imports still running are recorded as interrupted.
		runner.Close()
		return err
	})
	return nil
}

// The console sends through the same use case as `dispatch send`.
var _ console.Sending = (*campaign.Console)(nil)

// consoleSending wires the console's test copies and sends: a mailer of
// its own for test copies (the runner's is busy with campaigns) and the
// campaign service, whose campaigns the runner then sends. Without a
// relay the console edits and previews only, and says why.
func (a *app) consoleSending(s *sqlite.Store) console.Sending {
	log := a.serverLogger()
	if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
		return nil
	}
	mcfg, err := a.mailerConfig(nil)
	if err != nil {
		log.Warn("console sending off: " + err.Error())
		return nil
	}
	if err := checkPublicLinks(mcfg.Relays, a.cfg.Web.BaseURL); err != nil {
		log.Warn("console sending off: " + err.Error())
		return nil
	}
	mcfg.Logger = log
	sender, err := mailer.New(mcfg, s)
	if err != nil {
		log.Warn("console sending off: " + err.Error())
		return nil
	}
	checks := func(ctx context.Context, issue *templates.Compiled) (doctor.Report, error) {
		return a.preflightReport(ctx, s, issue, mcfg.Relays)
	}
	return &campaign.Console{Service: a.campaignService(s, nil, "serve"), Tester: sender, Subscribers: s, Attributes: s,
		Checks: checks}
}

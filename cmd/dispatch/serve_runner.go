package main

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
)

// startCampaignRunner runs the campaign runner in g: scheduled campaigns at
// their time, console-started ones, and after a restart those that were
// running. Without a relay it stays off, and says so: serve is useful for
// its pages alone.
func (a *app) startCampaignRunner(ctx context.Context, g *errgroup.Group, s *sqlite.Store) error {
	log := a.serverLogger()
	if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
		log.Warn("campaign runner off: no SMTP relay configured (set smtp.host); scheduled campaigns wait until it is")
		return nil
	}
	mcfg, err := a.mailerConfig(nil)
	if err != nil {
		return err
	}
	if err := checkPublicLinks(mcfg.Relays, a.cfg.Web.BaseURL); err != nil {
		log.Warn("campaign runner off: " + err.Error())
		return nil
	}
	mcfg.Logger = log
	sender, err := mailer.New(mcfg, s)
	if err != nil {
		return err
	}
	svc := a.campaignService(s, sender, "serve")
	runner := campaign.NewRunner(svc, campaign.RunnerConfig{})
	g.Go(func() error {
		err := runner.Run(ctx)
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	return nil
}

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/web/pagemail"
)

// pageMailer renders the subscribe forms' confirmations with the sender's
// layout, from web.subscribe.template or the built-in one.
func (a *app) pageMailer(sender *mailer.Sender) (*pagemail.Mailer, error) {
	cfg := pagemail.Config{Sender: sender, Templates: a.templateConfig,
		ConfirmDays: int(a.cfg.Web.Subscribe.ConfirmTTL.Round(24*time.Hour) / (24 * time.Hour))}
	if p := a.cfg.Web.Subscribe.Template; p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("web.subscribe.template: %w", err)
		}
		cfg.Confirm, cfg.ConfirmName = b, p
	}
	pm, err := pagemail.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("web.subscribe.template: %w", err)
	}
	return pm, nil
}

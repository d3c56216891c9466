package main

import (
	"context"
	"fmt"

	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/web"
)

// webMailQueue is the queue through which the public server mails people
// (manage links, subscribe confirmations), sent by the configured relay
// from a background worker. Without a relay there is none, and serve says
// so once: the subscribe forms are then off, since no one could confirm.
func (a *app) webMailQueue(s *sqlite.Store) (*web.MailQueue, error) {
	if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
		a.serverLogger().Warn("no SMTP relay configured (smtp.host): the pages cannot mail links to manage a subscription, and the subscribe forms are off")
		return nil, nil
	}
	mcfg, err := a.mailerConfig(nil)
	if err != nil {
		return nil, err
	}
	sender, err := mailer.New(mcfg, s)
	if err != nil {
		return nil, fmt.Errorf("web mail: %w", err)
	}
	confirm, err := a.pageMailer(sender)
	if err != nil {
		return nil, err
	}
	send := func(ctx context.Context, m web.Mail) error {
		if m.Kind == web.MailConfirm {
			return confirm.SendMail(ctx, m)
		}
		return sender.SendNotice(ctx, mailer.Notice{To: m.To, Subject: m.Subject, Text: m.Text})
	}
	return web.NewMailQueue(send, 0, a.serverLogger()), nil
}

package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/dispatchhq/dispatch/bounce/webhook"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/web"
)

func newServeCmd(a *app) *cobra.Command {
	var logFormat string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web server (unsubscribe pages, one-click, provider webhooks) and the admin console",
		Long: `Serve runs the public HTTP server on web.listen:

  GET  /u/TOKEN              confirm page (never changes anything)
  POST /u/TOKEN              unsubscribe; RFC 8058 one-click with List-Unsubscribe=One-Click
  POST /u/TOKEN/resubscribe  the person's own way back
  GET  /archive/LIST/SLUG    an issue's web version (private lists: with the email's key)
  GET  /archive/LIST         a public list's archive; /archive/LIST/feed.atom its feed
  GET  /manage[/TOKEN]       the preference centre; POST /manage mails a fresh link
  POST /webhooks/PROVIDER    ses, sendgrid, postmark, mailgun (when configured)
  GET  /healthz              monitoring

Links in messages are built from web.base_url, which must reach this server.
The admin console runs on its own listener, admin.listen (default
127.0.0.1:8081), never on web.listen; turn it off with admin.enabled: false.
Create its first account with ` + "`dispatch users add EMAIL`" + `.
With bounces.imap.host set, it also polls the bounce mailbox; with backup.dir
set, it takes a rotating backup every backup.interval (dispatch backup --to).
With an SMTP relay configured, it runs the campaign runner: it starts
campaigns scheduled with ` + "`send --at`" + ` at their time, and after a restart or a
crash resumes the campaigns it was sending. Every log line
(access log, webhooks, the bounce poller) is written to stderr in the one
format --log-format chooses. Stop with Ctrl-C or SIGTERM (graceful shutdown).`,
		Example: `  dispatch serve
  dispatch serve --log-format json
  DISPATCH_WEB_LISTEN=0.0.0.0:8080 dispatch serve`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.serve(cmd.Context(), logFormat) },
	}
	cmd.Flags().StringVar(&logFormat, "log-format", logFormatText, "log lines on stderr as text (key=value) or json (one object per line)")
	return cmd
}

// serve runs the public server, the console and the background parts
// until ctx ends or one of them fails.
func (a *app) serve(ctx context.Context, logFormat string) error {
	if err := a.useServerLogs(logFormat); err != nil {
		return err
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	if err := a.announceStore(ctx, s); err != nil {
		return err
	}
	tokens, err := a.tokens()
	if err != nil {
		return err
	}
	verifier, err := a.webhookVerifier()
	if err != nil {
		return err
	}
	wcfg, err := a.webConfig()
	if err != nil {
		return err
	}
	wcfg.Tokens = tokens
	wcfg.Store = s
	wcfg.Webhooks = verifier
	if wcfg.Mail, err = a.webMailQueue(s); err != nil {
		return err
	}
	srv, err := web.New(wcfg)
	if err != nil {
		return err
	}
	if err := srv.Open(); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Serving on http://%s (links use %s). Ctrl-C to stop.\n", srv.Addr(), a.cfg.Web.BaseURL)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Run(gctx) })
	if wcfg.Mail != nil {
		g.Go(func() error { return wcfg.Mail.Run(gctx) })
	}
	// Ctrl-C can arrive while the parts below still start: their
	// context error is then the interrupt, not a failure, and serve
	// stops as cleanly as it would a moment later.
	if err := a.startParts(gctx, g, s, tokens); err != nil && ctx.Err() == nil {
		_ = srv.Close(context.WithoutCancel(ctx))
		return err
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// webhookVerifier configures the providers that have settings; nil when
// none does.
func (a *app) webhookVerifier() (*webhook.Verifier, error) {
	w := a.cfg.Webhooks
	cfg := webhook.Config{
		SES: webhook.SESConfig{
			Enabled:     w.SES.Enabled,
			TopicARNs:   w.SES.TopicARNs,
			AutoConfirm: w.SES.AutoConfirm,
		},
		SendGrid: webhook.SendGridConfig{
			PublicKey: w.SendGrid.PublicKey,
		},
		Postmark: webhook.PostmarkConfig{
			Username: w.Postmark.Username,
			Password: w.Postmark.Password,
			Token:    w.Postmark.Token,
		},
		Mailgun: webhook.MailgunConfig{
			SigningKey:     w.Mailgun.SigningKey,
			RememberTokens: true,
		},
	}
	if !w.SES.Enabled && w.SendGrid.PublicKey == "" && w.Postmark.Username == "" && w.Postmark.Token == "" && w.Mailgun.SigningKey == "" {
		return nil, nil
	}
	v, err := webhook.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return v, nil
}

// startParts starts what serve runs beside the public server: the console,
// the bounce poller, scheduled backups and the campaign runner.
func (a *app) startParts(ctx context.Context, g *errgroup.Group, s *sqlite.Store, tokens *subscribers.Tokens) error {
	if err := a.startConsole(ctx, g, s); err != nil {
		return err
	}
	if err := a.startBouncePoller(ctx, g, s, tokens); err != nil {
		return err
	}
	a.startScheduledBackups(ctx, g, s.Path())
	return a.startCampaignRunner(ctx, g, s)
}

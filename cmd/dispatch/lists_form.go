package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/web"
)

func newListsFormCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "form NAME",
		Short: "Print an HTML subscribe form to embed on your site",
		Long: `Form prints a plain HTML form (no script, no style sheet) that posts to
the list's hosted subscribe page, web.base_url + /subscribe/NAME, served by
dispatch serve. Paste it into your own site and style it as you like; keep
its hidden fields: a signed stamp, and a field people never see that bots
fill in. The list must be public (lists set NAME --public).

A POST from it is treated as one from the hosted page: the same answer
whatever the address, a confirmation email unless the list is single
opt-in (lists set NAME --optin single), and the same rate limits.`,
		Example: `  dispatch lists form clients > subscribe-form.html`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tokens, err := a.tokens()
			if err != nil {
				return err
			}
			s, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			l, err := s.FindListByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			consent := web.SubscribeConfig{ConsentText: a.cfg.Web.Subscribe.ConsentText}.Consent(l.DisplayName())
			html, err := web.EmbedForm(a.cfg.Web.BaseURL, tokens, l, consent, time.Now())
			if err != nil {
				return fmt.Errorf("render the form: %w", err)
			}
			_, err = fmt.Fprint(a.stdout, html)
			return err
		},
	}
}

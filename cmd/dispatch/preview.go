package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/templates"
)

// defaultPreviewAddr is where preview listens without --addr.
const defaultPreviewAddr = "127.0.0.1:7380"

func newPreviewCmd(a *app) *cobra.Command {
	var addr, list string
	cmd := &cobra.Command{
		Use:   "preview ISSUE.md",
		Short: "Serve a live preview of an issue on localhost",
		Long: `Preview serves the rendered issue on localhost: the HTML as sent, the text
part, a phone-width view and the checks. Pages reload by themselves when the
file (or its layout) changes. Stop with Ctrl-C.`,
		Example: `  dispatch preview examples/issue.md
  dispatch preview examples/issue.md --addr 127.0.0.1:9000`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list == "" {
				list = "clients"
			}
			l, err := a.previewList(cmd.Context(), list)
			if err != nil {
				return err
			}
			if l != nil {
				list = l.DisplayName()
			}
			sample := templates.SampleRecipient()
			sample.UnsubscribeURL = a.previewUnsubscribeURL(0)
			sample.ManageURL = a.previewManageURL(0)
			p, err := templates.NewPreview(args[0], a.templateConfig(list), sample, a.logger)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("preview: cannot listen on %s (is another program, such as a local mail catcher, using it?): "+
					"pass --addr with a free address, e.g. --addr 127.0.0.1:0 for any free port: %w", addr, err)
			}
			srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
			fmt.Fprintf(a.stdout, "Previewing %s at http://%s/ (phone view: /phone, text: /text). Ctrl-C to stop.\n", args[0], ln.Addr())
			if l != nil {
				aud, err := listAudience(cmd.Context(), a.store, l)
				if err != nil {
					return err
				}
				p.SetAudience(aud)
			} else if c := p.Compiled(); c != nil {
				if note := attrNote(c); note != "" {
					fmt.Fprintln(a.stderr, note)
				}
			}
			for _, c := range p.Checks() {
				fmt.Fprintln(a.stderr, checkLine(c))
			}
			errc := make(chan error, 1)
			go func() { errc <- srv.Serve(ln) }()
			select {
			case err := <-errc:
				return err
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	// Not 8025/1025 (Mailpit, MailHog), 1080 (MailCatcher) or 8080 (serve):
	// people previewing an issue often run a mail catcher too.
	cmd.Flags().StringVar(&addr, "addr", defaultPreviewAddr, "address to serve on")
	cmd.Flags().StringVar(&list, "list", "", "the list the issue is for; the footer shows its title (default clients)")
	return cmd
}

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/examples"
	"github.com/dispatchhq/dispatch/subscribers"
)

func newQuickstartCmd(a *app) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "quickstart",
		Short: "Run the whole job on built-in examples, with no setup",
		Long: `Quickstart runs the main job end to end in --dir:

  1. creates a fresh SQLite database,
  2. imports the example client list shipped inside the binary,
  3. renders the example issue (written to issue.md there, to edit),
  4. sends it to every client through a local SMTP capture server built
     into the binary, which writes each message as an .eml file,
  5. prints where to look.

It writes a dispatch.yaml in --dir with the settings it used (and a random
signing secret), so later commands can use --config DIR/dispatch.yaml.
With smtp.host configured, it sends through that relay instead.`,
		Example: `  dispatch quickstart
  dispatch quickstart --dir /tmp/dispatch-demo`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			dbPath := filepath.Join(dir, "dispatch.db")
			outbox := filepath.Join(dir, "outbox")
			if err := resetQuickstart(dbPath, outbox); err != nil {
				return err
			}
			cfgPath := filepath.Join(dir, "dispatch.yaml")
			if err := a.quickstartConfig(cfgPath, dbPath); err != nil {
				return err
			}
			s, err := subscribers.Open(ctx, dbPath)
			if err != nil {
				return err
			}
			a.store = s
			fmt.Fprintf(a.stdout, "1. Created a fresh database: %s\n", dbPath)

			res, err := s.Import(ctx, "examples/contacts.csv", bytes.NewReader(examples.ContactsCSV),
				subscribers.ImportConfig{List: "clients", Source: "import:examples/contacts.csv"})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "2. Imported the example contacts into list %q: %d added, %d invalid, %d duplicates.\n",
				res.List, res.Added, res.InvalidCount, res.Duplicates)

			issuePath := filepath.Join(dir, "issue.md")
			if err := os.WriteFile(issuePath, examples.IssueMD, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "3. Wrote the example issue: %s\n", issuePath)

			opts := sendOptions{list: "clients", yes: true}
			target := "a real relay, " + a.cfg.SMTP.Host
			if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
				opts.capture = outbox
				target = "the built-in capture server"
			}
			fmt.Fprintf(a.stdout, "4. Sending it to the list through %s:\n", target)
			if err := a.send(ctx, issuePath, opts); err != nil {
				return err
			}
			fmt.Fprintln(a.stdout)
			if opts.capture != "" {
				n, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
				fmt.Fprintf(a.stdout, "5. Done. The %d messages are in %s/ (open any .eml in a mail client).\n", len(n), outbox)
			} else {
				fmt.Fprintln(a.stdout, "5. Done.")
			}
			fmt.Fprintf(a.stdout, `
Next, with the settings quickstart wrote:
  # the campaign and its counts
  dispatch --config %[1]s campaigns
  # the subscribers of the list
  dispatch --config %[1]s subscribers list --list clients
  # the issue in a browser, reloading as you edit it
  dispatch --config %[1]s preview %[2]s
  # the unsubscribe pages the links in the messages point at
  dispatch --config %[1]s serve
`, cfgPath, issuePath)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "dispatch-quickstart", "folder for the database, the issue, the configuration and the captured mail")
	return cmd
}

// resetQuickstart removes what an earlier quickstart left, and only that.
func resetQuickstart(dbPath, outbox string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return nil
}

// quickstartConfig fills in what a fresh machine lacks (a signing secret, a
// sender, a postal address) and writes it to path for later commands. Keys
// already configured are kept.
func (a *app) quickstartConfig(path, dbPath string) error {
	c := &a.cfg
	c.Database.Path = dbPath
	if c.Web.Secret == "" {
		// Reuse the secret of an earlier quickstart so old links stay valid.
		if prev, _, err := loadConfig(path, nil, nil); err == nil && prev.Web.Secret != "" {
			c.Web.Secret = prev.Web.Secret
		} else {
			var b [32]byte
			if _, err := rand.Read(b[:]); err != nil {
				return err
			}
			c.Web.Secret = hex.EncodeToString(b[:])
		}
	}
	if c.Sender.From == "" {
		c.Sender.From = "Northwind Advisory <briefing@example.com>"
	}
	if c.Sender.ReplyTo == "" {
		c.Sender.ReplyTo = "desk@example.com"
	}
	if c.Sender.BounceAddress == "" {
		c.Sender.BounceAddress = "bounces@example.com"
	}
	if c.Sender.PostalAddress == "" {
		c.Sender.PostalAddress = "Northwind Advisory Ltd, 1 Harbour Street, London EC1A 1AA, United Kingdom"
	}
	if c.Web.SiteName == "" || c.Web.SiteName == DefaultConfig().Web.SiteName {
		c.Web.SiteName = "Security Chatter"
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return err
	}
	body := fmt.Sprintf(`# Written by dispatch quickstart; edit freely.
database:
  # The quickstart database.
  path: %q
sender:
  from: %q
  reply_to: %q
  bounce_address: %q
  postal_address: %q
web:
  base_url: %q
  listen: %q
  # Signs the unsubscribe links in the captured messages.
  secret: %q
  site_name: %q
`, abs, c.Sender.From, c.Sender.ReplyTo, c.Sender.BounceAddress, c.Sender.PostalAddress,
		c.Web.BaseURL, c.Web.Listen, c.Web.Secret, c.Web.SiteName)
	return os.WriteFile(path, []byte(body), 0o600)
}

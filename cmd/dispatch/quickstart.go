package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
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
			q := newQuickstart(a, dir)
			return q.run(cmd)
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

// quickstartConfig settles the settings quickstart runs with. An earlier
// quickstart's file is the user's to edit, so it is read, never rewritten
// (unless --config names another file). Otherwise what a fresh machine
// lacks (a signing secret, a sender, a postal address) is filled in and
// written to path for later commands. The database is always dbPath.
func (a *app) quickstartConfig(cmd *cobra.Command, path, dbPath string, kept bool) error {
	if kept && a.configPath == "" {
		cfg, warnings, err := loadConfig(path, cmd.Flags(), flagBinds)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(a.stderr, "warning:", w)
		}
		a.cfg = cfg
	}
	c := &a.cfg
	if kept {
		if p, q := absPath(c.Database.Path), absPath(dbPath); p != q {
			fmt.Fprintf(a.stderr, "note: %s sets database.path to %s; quickstart uses %s, later commands with --config %s use %s\n",
				path, c.Database.Path, dbPath, path, c.Database.Path)
		}
	}
	c.Database.Path = dbPath
	if c.Web.Secret == "" {
		s, err := newSecret()
		if err != nil {
			return err
		}
		c.Web.Secret = s
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
	if kept {
		return nil
	}
	body := fmt.Sprintf(`# Written by dispatch quickstart; edit freely (quickstart will not
# overwrite it; delete it to get a fresh one).
database:
  # The quickstart database, relative to this file's folder.
  path: dispatch.db
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
`, c.Sender.From, c.Sender.ReplyTo, c.Sender.BounceAddress, c.Sender.PostalAddress,
		c.Web.BaseURL, c.Web.Listen, c.Web.Secret, c.Web.SiteName)
	return os.WriteFile(path, []byte(body), 0o600)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

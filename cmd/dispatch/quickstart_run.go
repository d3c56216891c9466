package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/csvimport"
	"github.com/dispatchhq/dispatch/examples"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

// quickstart is one run of dispatch quickstart in dir: its files, and
// whether an earlier run's configuration and issue are kept.
type quickstart struct {
	a         *app
	dbPath    string
	outbox    string
	cfgPath   string
	issuePath string
	keptCfg   bool
	keptIssue bool
}

func newQuickstart(a *app, dir string) *quickstart {
	q := &quickstart{
		a:         a,
		dbPath:    filepath.Join(dir, "dispatch.db"),
		outbox:    filepath.Join(dir, "outbox"),
		cfgPath:   filepath.Join(dir, "dispatch.yaml"),
		issuePath: filepath.Join(dir, "issue.md"),
	}
	q.keptCfg = exists(q.cfgPath)
	q.keptIssue = exists(q.issuePath)
	return q
}

// run does the five steps the command's help lists.
func (q *quickstart) run(cmd *cobra.Command) error {
	ctx := cmd.Context()
	if err := os.MkdirAll(filepath.Dir(q.dbPath), 0o755); err != nil {
		return err
	}
	if err := q.a.quickstartConfig(cmd, q.cfgPath, q.dbPath, q.keptCfg); err != nil {
		return err
	}
	if err := resetQuickstart(q.dbPath, q.outbox); err != nil {
		return err
	}
	if q.keptCfg {
		fmt.Fprintf(q.a.stdout, "Kept your %s from an earlier quickstart (delete it to start from the defaults).\n", q.cfgPath)
	}
	if err := q.importExamples(ctx); err != nil {
		return err
	}
	if err := q.writeIssue(); err != nil {
		return err
	}
	captured, err := q.send(ctx)
	if err != nil {
		return err
	}
	q.printNext(captured)
	return nil
}

// importExamples creates the database and imports the example contacts.
func (q *quickstart) importExamples(ctx context.Context) error {
	s, err := sqlite.Open(ctx, q.dbPath)
	if err != nil {
		return err
	}
	q.a.store = s
	fmt.Fprintf(q.a.stdout, "1. Created a fresh database: %s\n", q.dbPath)

	res, err := csvimport.Import(ctx, s, "examples/contacts.csv", bytes.NewReader(examples.ContactsCSV),
		subscribers.ImportConfig{List: "clients", Source: "import:examples/contacts.csv"})
	if err != nil {
		return err
	}
	fmt.Fprintf(q.a.stdout, "2. Imported the example contacts into list %q: %d added, %d invalid, %d duplicates.\n",
		res.List, res.Added, res.InvalidCount, res.Duplicates)
	return nil
}

// writeIssue writes the example issue, unless the user kept theirs.
func (q *quickstart) writeIssue() error {
	if q.keptIssue {
		fmt.Fprintf(q.a.stdout, "3. Kept your issue: %s (delete it to get the example back)\n", q.issuePath)
		return nil
	}
	if err := os.WriteFile(q.issuePath, examples.IssueMD, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(q.a.stdout, "3. Wrote the example issue: %s\n", q.issuePath)
	return nil
}

// send sends the issue to the list, through the capture server unless a
// relay is configured, and says whether it was captured.
func (q *quickstart) send(ctx context.Context) (captured bool, err error) {
	opts := sendOptions{list: "clients", yes: true}
	target := "a real relay, " + q.a.cfg.SMTP.Host
	if q.a.cfg.SMTP.Host == "" && len(q.a.cfg.SMTP.Relays) == 0 {
		opts.capture = q.outbox
		target = "the built-in capture server"
	}
	fmt.Fprintf(q.a.stdout, "4. Sending it to the list through %s:\n", target)
	if err := q.a.send(ctx, q.issuePath, opts); err != nil {
		return false, err
	}
	fmt.Fprintln(q.a.stdout)
	return opts.capture != "", nil
}

// printNext says where the messages are and what to run next.
func (q *quickstart) printNext(captured bool) {
	if captured {
		n, _ := filepath.Glob(filepath.Join(q.outbox, "*.eml"))
		fmt.Fprintf(q.a.stdout, "5. Done. The %d messages are in %s/ (open any .eml in a mail client).\n", len(n), q.outbox)
	} else {
		fmt.Fprintln(q.a.stdout, "5. Done.")
	}
	self, c, is := selfCommand(), shellQuote(q.cfgPath), shellQuote(q.issuePath)
	fmt.Fprintf(q.a.stdout, `
Next, with the settings quickstart wrote (edit %[2]s and %[3]s freely:
running quickstart again keeps them):
  # the campaign and its counts
  %[1]s --config %[2]s campaigns
  # the subscribers of the list
  %[1]s --config %[2]s subscribers list --list clients
  # the issue in a browser, reloading as you edit it
  %[1]s --config %[2]s preview %[3]s
  # the unsubscribe pages the links in the messages point at
  %[1]s --config %[2]s serve
`, self, c, is)
}

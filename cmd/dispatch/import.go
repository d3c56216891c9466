package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
)

func newImportCmd(a *app) *cobra.Command {
	var o importOptions
	cfg := &o.cfg
	cmd := &cobra.Command{
		Use:   "import FILE --list NAME | import --suppressions FILE",
		Short: "Import contacts from a CSV file into a list",
		Long: `Import reads a CSV exported from anywhere: Mailchimp, listmonk, Outlook,
Google Contacts, Excel (UTF-8 with or without BOM, Windows-1252, UTF-16
"Unicode text"; comma, semicolon or tab; CRLF or LF). The encoding and
delimiter are detected; --encoding and --delimiter override them.

Columns are matched by header, ignoring case and spaces: the email column
(email, e-mail, Email Address, mail, ...), the name (name, full name, or
first name + last name), and every other column becomes an attribute.
--map overrides that: --map 'email=E-mail,name=Full Name,attr:company=Organisation'
names the email column, the name column (or first=... and last=...), the
status column, which columns become attributes and under what key
(attr:KEY=Column), and which to leave out (ignore=Column). Roles it does not
name are still detected; other columns still become attributes.

Every subscription the import makes records a lawful basis (--basis):
consent (the default: importing a list asserts that the people on it asked
for it), contract (existing clients, mailed under the soft opt-in) or
legitimate-interest. subscribers show prints it.

Invalid addresses are reported with their line and skipped; duplicates in
the file are folded. Existing subscribers are added to the list, and their
name and attributes change only with --update. Addresses that unsubscribed,
bounced, complained, were blocklisted or removed are never re-added: they
are counted as suppressed.

The import runs in batches; an interrupted import can simply be run again.
Use "-" as FILE to read standard input.

import --suppressions FILE re-applies a file written by
dispatch backup export-suppressions (CSV or JSON), for instance after
restoring an older backup: it suppresses, ends list subscriptions and erases
again, and never reactivates anyone. Running it twice changes nothing.`,
		Example: `  dispatch import clients.csv --list clients
  dispatch import export.csv --list clients --dry-run
  dispatch import customers.csv --list clients --basis contract
  dispatch import contacts.txt --list clients --encoding windows-1252 --update --json
  dispatch import crm.csv --list clients --map 'email=E-mail,name=Full Name,attr:company=Organisation'
  dispatch import --suppressions /backups/suppressions.csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if o.suppressions != "" {
				return exactArgs(0)(cmd, args)
			}
			return exactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.suppressions != "" {
				if cfg.List != "" || cfg.DryRun || cfg.Update || o.mapping != "" {
					return usageError{errors.New("--suppressions takes no --list, --dry-run, --update or --map: it applies the file's own lists")}
				}
				return a.importSuppressions(cmd.Context(), o.suppressions, o.asJSON)
			}
			return a.importFile(cmd.Context(), args[0], o)
		},
	}
	cmd.Flags().StringVar(&cfg.List, "list", "", "list to import into (created if missing)")
	cmd.Flags().BoolVar(&cfg.DryRun, "dry-run", false, "report what would happen without writing anything")
	cmd.Flags().BoolVar(&cfg.Update, "update", false, "update the name and attributes of existing subscribers")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the result as JSON")
	cmd.Flags().StringVar(&cfg.Encoding, "encoding", "auto", "file encoding: auto, utf-8, windows-1252, iso-8859-15, utf-16le, ...")
	cmd.Flags().StringVar(&o.delim, "delimiter", "", `field delimiter (default: detected among , ; tab |); "\t" for tab`)
	cmd.Flags().StringVar(&o.mapping, "map", "", `column mapping: "email=E-mail,name=Full Name,first=Given,last=Family,status=State,attr:company=Organisation,ignore=Notes"`)
	cmd.Flags().IntVar(&cfg.BatchSize, "batch", 10000, "rows per transaction")
	cmd.Flags().StringVar(&o.basis, "basis", string(subscribers.DefaultImportBasis), "lawful basis of the subscriptions: consent, contract (existing clients, soft opt-in) or legitimate-interest")
	cmd.Flags().StringVar(&o.suppressions, "suppressions", "", "apply a suppression export (dispatch backup export-suppressions) instead of importing contacts")
	return cmd
}

// importStore opens the database to import into. A dry run writes
// nothing, and that includes the database file: without one, it runs
// against an empty scratch database that is deleted when the command ends.
func (a *app) importStore(ctx context.Context, dryRun bool) (*sqlite.Store, error) {
	if !dryRun || exists(a.cfg.Database.Path) {
		return a.createStore(ctx)
	}
	dir, err := os.MkdirTemp("", "dispatch-dry-run-")
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	s, err := sqlite.Open(ctx, filepath.Join(dir, "dry-run.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("dry run: %w", err)
	}
	a.store = s
	a.cleanup = append(a.cleanup, func() { os.RemoveAll(dir) })
	fmt.Fprintf(a.stderr, "note: no database at %s yet: the dry run compares against an empty one and creates none\n",
		absPath(a.cfg.Database.Path))
	return s, nil
}

func unescapeDelim(d string) string {
	if d == `\t` || d == "tab" {
		return "\t"
	}
	return d
}

func printImportSummary(w io.Writer, name string, r *subscribers.ImportResult) {
	verb := "Imported"
	if r.DryRun {
		verb = "Dry run (nothing written) for"
	}
	delim := r.Delimiter
	if delim == "\t" {
		delim = "tab"
	}
	fmt.Fprintf(w, "%s %s into list %q (%s, delimiter %q, %.1fs):\n", verb, name, r.List, r.Encoding, delim, r.Seconds)
	fmt.Fprintf(w, "  rows read     %d\n", r.Rows)
	fmt.Fprintf(w, "  added         %d\n", r.Added)
	fmt.Fprintf(w, "  updated       %d\n", r.Updated)
	fmt.Fprintf(w, "  unchanged     %d\n", r.Unchanged)
	fmt.Fprintf(w, "  suppressed    %d   (unsubscribed, bounced, complained, blocklisted or removed: left alone)\n", r.Suppressed)
	fmt.Fprintf(w, "  duplicates    %d   (repeated in the file: first occurrence kept)\n", r.Duplicates)
	fmt.Fprintf(w, "  invalid       %d\n", r.InvalidCount)
	for _, inv := range r.Invalid {
		fmt.Fprintf(w, "    %s:%d: %q: %s\n", name, inv.Line, inv.Value, inv.Error)
	}
	if r.InvalidCount > len(r.Invalid) {
		fmt.Fprintf(w, "    ... and %d more (use --json for the full list up to the cap)\n", r.InvalidCount-len(r.Invalid))
	}
	if r.ListCreated && !r.DryRun {
		fmt.Fprintf(w, "  (created list %q)\n", r.List)
	}
}

// importProgress draws a bar on a terminal and prints a line every few
// seconds otherwise (logs, CI).
type importProgress struct {
	a    *app
	bar  *progressbar.ProgressBar
	last time.Time
	size int64
}

func newImportProgress(a *app, size int64) *importProgress {
	p := &importProgress{a: a, size: size, last: time.Now()}
	if isTerminal(a.stderr) {
		max := size
		if max <= 0 {
			max = -1
		}
		p.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(a.rawStderr),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *importProgress) update(pr subscribers.ImportProgress) {
	rate := float64(pr.Rows) / max(pr.Elapsed.Seconds(), 0.001)
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("importing: %d rows, %.0f rows/s", pr.Rows, rate))
		p.bar.Set64(pr.BytesRead)
		return
	}
	if time.Since(p.last) < 2*time.Second {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("import: %d rows, %.0f rows/s", pr.Rows, rate)
	if pr.Size > 0 && pr.BytesRead > 0 {
		frac := float64(pr.BytesRead) / float64(pr.Size)
		eta := time.Duration(float64(pr.Elapsed) * (1 - frac) / frac)
		line += fmt.Sprintf(", %.0f%%, about %s left", frac*100, eta.Round(time.Second))
	}
	fmt.Fprintln(p.a.stderr, line)
}

func (p *importProgress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/campaign"
	"github.com/dispatchhq/dispatch/internal/capture"
	"github.com/dispatchhq/dispatch/internal/loopback"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

type sendOptions struct {
	list        string
	newCampaign bool
	dryRun      bool
	to          string
	yes         bool
	asJSON      bool
	capture     string
	force       bool
	at          string // schedule instead of sending
	tz          string
}

// sendReport is the --json output of send; the first seven keys are the
// documented interface.
type sendReport struct {
	Campaign           int64   `json:"campaign"`
	Recipients         int     `json:"recipients"`
	Sent               int     `json:"sent"`
	Deferred           int     `json:"deferred"`
	Failed             int     `json:"failed"`
	Bounced            int     `json:"bounced"`
	Skipped            int     `json:"skipped"`
	Slug               string  `json:"slug"`
	List               string  `json:"list"`
	Status             string  `json:"status"`
	Queued             int     `json:"queued"`
	SentThisRun        int     `json:"sent_this_run"`
	PossibleDuplicates int     `json:"possible_duplicates"`
	Interrupted        bool    `json:"interrupted"`
	PauseReason        string  `json:"pause_reason,omitempty"`
	Seconds            float64 `json:"seconds"`
	// RelayDownSeconds is how long this run waited with no relay accepting
	// connections, over RelayOutages outages.
	RelayDownSeconds float64 `json:"relay_down_seconds"`
	RelayOutages     int     `json:"relay_outages"`
	// RelayRTTMs is the round trip to the relay in milliseconds, timed on
	// EHLO (0 when no connection was made); RelayRTTsMs has each relay's
	// when there are several.
	RelayRTTMs  float64            `json:"relay_rtt_ms"`
	RelayRTTsMs map[string]float64 `json:"relay_rtts_ms,omitempty"`
}

func newSendCmd(a *app) *cobra.Command {
	var o sendOptions
	cmd := &cobra.Command{
		Use:   "send ISSUE.md --list NAME",
		Short: "Send an issue to every active subscriber of a list",
		Long: `Send renders the issue once, creates a campaign for (issue, list) with one
delivery per active subscriber, and sends through SMTP with the configured
rate, connections, retries and caps.

Running the same command again resumes that campaign: nobody is mailed twice.
A campaign is identified by the issue's front matter id: (or its file name);
--new starts a fresh campaign for the same issue explicitly.

Ctrl-C stops cleanly: messages in flight finish, the ledger is flushed, and
the same command resumes later. Temporary failures are retried with backoff
until they succeed or fail for good; the command keeps running until then.`,
		Example: `  dispatch send examples/issue.md --list clients --dry-run
  dispatch send examples/issue.md --list clients --to me@example.com
  dispatch send examples/issue.md --list clients --yes --json
  dispatch send examples/issue.md --list clients --capture outbox/
  dispatch send examples/issue.md --list clients --at "2026-12-08 09:00" --tz Europe/Paris`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.list == "" {
				return usageError{errors.New("--list is required: name the list to send to")}
			}
			if o.at != "" && (o.to != "" || o.capture != "") {
				return usageError{errors.New("--at schedules the campaign for `dispatch serve`, which sends through smtp.*: it cannot go with --to or --capture")}
			}
			if o.at == "" && o.tz != "" {
				return usageError{errors.New("--tz is the zone of --at: give --at too")}
			}
			return a.withRelayAdvice(a.send(cmd.Context(), args[0], o))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.list, "list", "", "list to send to")
	f.BoolVar(&o.newCampaign, "new", false, "start a new campaign even if this issue was already sent to the list")
	f.BoolVar(&o.dryRun, "dry-run", false, "render and check everything, report what would be sent, send nothing")
	f.StringVar(&o.to, "to", "", "send one test copy to this address, outside any campaign")
	f.BoolVar(&o.yes, "yes", false, "do not ask for confirmation")
	f.BoolVar(&o.asJSON, "json", false, "print the final report as JSON")
	f.BoolVar(&o.force, "force", false, "send even when the checks before sending fail (see dispatch doctor)")
	f.StringVar(&o.capture, "capture", "", "deliver to a local capture server writing .eml files into this folder instead of smtp.*")
	f.StringVar(&o.at, "at", "", `schedule the campaign instead of sending now, e.g. "2026-12-08 09:00"; `+"`dispatch serve`"+` sends it then`)
	f.StringVar(&o.tz, "tz", "", "time zone of --at, an Area/City name such as Europe/Paris (default: this machine's)")
	return cmd
}

func (a *app) send(ctx context.Context, path string, o sendOptions) error {
	var at time.Time
	if o.at != "" {
		t, err := parseAt(o.at, o.tz, time.Now())
		if err != nil {
			return err
		}
		at = t
	}
	s, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	if err := a.announceStore(ctx, s); err != nil {
		return err
	}
	list, err := s.FindListByName(ctx, o.list)
	if err != nil {
		return err
	}
	issue, err := a.compileIssue(path, list.DisplayName())
	if err != nil {
		return err
	}
	sender, stop, err := a.sendSender(ctx, s, issue, o)
	if err != nil {
		return err
	}
	defer stop()
	if o.to != "" {
		return a.sendTest(ctx, s, sender, issue, list, o.to)
	}
	svc := a.campaignService(s, sender, "send")
	plan, err := svc.Prepare(ctx, campaign.Draft{Issue: issue, Path: path, List: list, New: o.newCampaign})
	if errors.Is(err, campaign.ErrNoRecipients) {
		return fmt.Errorf("list %q has no active subscribers: nothing to send", list.Name)
	}
	if err != nil {
		return campaignAdvice(err)
	}
	if plan.Finished && o.at == "" {
		return a.alreadyFinished(ctx, svc, plan, o)
	}
	if plan.Changed {
		fmt.Fprintf(a.stderr, "note: %s changed since campaign %d started; its %d remaining recipients get the version the campaign started with, like everyone before them (use --new to send the edited issue to the whole list as a new campaign)\n",
			path, plan.Campaign.ID, plan.Owed)
	}
	if plan.Campaign == nil {
		if err := a.checkAudience(ctx, s, issue, list, plan.Owed); err != nil {
			return err
		}
	}
	summary := a.sendSummary(plan.Issue, list, sender, plan.Owed, plan.Campaign, o)
	if o.at != "" {
		summary += "\n  starts at   " + campaign.FormatAt(at, o.tz)
	}
	if o.dryRun {
		fmt.Fprintln(a.stdout, summary)
		fmt.Fprintln(a.stdout, "Dry run: nothing was sent and no campaign was created.")
		return nil
	}
	if !o.yes {
		if err := a.confirm(summary); err != nil {
			return err
		}
	}
	if o.at != "" {
		return a.schedule(ctx, svc, plan, at, o)
	}
	return a.runCampaign(ctx, svc, plan, o)
}

// sendSender makes the mailer for a send (through the capture server with
// --capture) and runs the checks before sending. stop closes the capture
// server.
func (a *app) sendSender(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, o sendOptions) (*mailer.Sender, func(), error) {
	stop := func() {}
	var relays []mailer.Relay
	if o.capture != "" && !o.dryRun {
		srv, err := capture.Start(capture.Config{Dir: o.capture, Logger: a.logger})
		if err != nil {
			return nil, stop, err
		}
		stop = func() { srv.Close() }
		relays = []mailer.Relay{{
			Name:        "capture",
			Host:        srv.Host(),
			Port:        srv.Port(),
			TLS:         tlsmode.None,
			Concurrency: a.cfg.Sending.Concurrency,
		}}
	} else if o.capture != "" {
		relays = []mailer.Relay{{
			Name:        "capture",
			Host:        "127.0.0.1",
			Port:        25,
			TLS:         tlsmode.None,
			Concurrency: 1,
		}}
	}
	sender, err := a.checkedSender(ctx, s, issue, relays, o.force)
	if err != nil {
		stop()
		return nil, func() {}, err
	}
	return sender, stop, nil
}

// checkedSender makes the mailer and runs the checks before sending.
func (a *app) checkedSender(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, relays []mailer.Relay, force bool) (*mailer.Sender, error) {
	mcfg, err := a.mailerConfig(relays)
	if err != nil {
		return nil, err
	}
	if err := checkPublicLinks(mcfg.Relays, a.cfg.Web.BaseURL); err != nil {
		return nil, err
	}
	sender, err := mailer.New(mcfg, s)
	if err != nil {
		return nil, err
	}
	if err := a.preflight(ctx, s, issue, mcfg.Relays, force); err != nil {
		return nil, err
	}
	return sender, nil
}

// runCampaign starts the planned campaign, sends it with a progress view
// and reports how it ended.
func (a *app) runCampaign(ctx context.Context, svc *campaign.Service, plan *campaign.Plan, o sendOptions) error {
	run, err := svc.Start(ctx, plan)
	if err != nil {
		return campaignAdvice(err)
	}
	c := run.Campaign
	if run.Created {
		fmt.Fprintf(a.stderr, "Created campaign %d: %s to %s, %d recipients.\n", c.ID, c.Slug, plan.List.Name, c.Recipients)
	} else {
		fmt.Fprintf(a.stderr, "Resuming campaign %d: %s to %s, %d still to send.\n", c.ID, c.Slug, plan.List.Name, run.Owed)
	}
	if n := run.Recovered; n > 0 {
		fmt.Fprintf(a.stderr, "warning: %d %s in flight when the previous run stopped; %s sent again and may arrive twice.\n",
			n, pluralWord(n, "message was", "messages were"), pluralWord(n, "it is", "they are"))
	}
	bar := newSendProgress(a, run.Owed)
	out, runErr := run.Send(ctx, bar.update)
	bar.done()
	if out == nil {
		return runErr
	}
	if o.asJSON {
		if err := printJSON(a.stdout, newSendReport(out.Campaign, out.Stats, out.Result)); err != nil {
			return err
		}
	} else {
		a.printSendSummary(out.Campaign, out.Stats, out.Result)
	}
	return a.sendExit(out, runErr)
}

// sendExit turns how a run ended into the command's exit.
func (a *app) sendExit(out *campaign.Outcome, runErr error) error {
	c, st := out.Campaign, out.Stats
	switch {
	case out.Cancelled:
		return &exitError{code: 1, err: fmt.Errorf("campaign %d was cancelled with `dispatch campaigns cancel`: %d sent, %d not sent", c.ID, st.Sent, st.Skipped)}
	case out.Paused() && out.Hold != subscribers.HoldNone:
		return &exitError{code: 1, err: fmt.Errorf("campaign %d paused: %s (resume it with `dispatch campaigns resume %d`)", c.ID, c.PauseReason, c.ID)}
	case out.Paused():
		return &exitError{code: 1, err: fmt.Errorf("campaign %d paused: %s", c.ID, c.PauseReason)}
	case errors.Is(runErr, context.Canceled):
		fmt.Fprintf(a.stderr, "Interrupted: %d of %d sent so far. Run the same command again to resume campaign %d.\n",
			st.Sent, st.Recipients, c.ID)
		return &exitError{code: 130}
	case runErr != nil:
		return fmt.Errorf("campaign %d: %w (run the same command again to resume)", c.ID, runErr)
	}
	return nil
}

// campaignAdvice adds what to do to the campaign package's refusals.
func campaignAdvice(err error) error {
	var running *campaign.RunningError
	var scheduled *campaign.ScheduledError
	var held *campaign.HeldError
	switch {
	case errors.As(err, &running):
		return &exitError{code: 1, err: fmt.Errorf("%w; it is not sent from here too. Follow it with `dispatch campaigns watch %d`", err, running.CampaignID)}
	case errors.As(err, &scheduled):
		return &exitError{code: 1, err: fmt.Errorf("%w; `dispatch serve` starts it then. To send now instead, cancel it with `dispatch campaigns cancel %d` and send with --new", err, scheduled.CampaignID)}
	case errors.As(err, &held):
		return &exitError{code: 1, err: fmt.Errorf("%w. It is sent again only after an explicit `dispatch campaigns resume %d`", err, held.CampaignID)}
	}
	return err
}

// alreadyFinished answers a send whose campaign has finished. The same
// issue again is a safe no-op; an edited one is not sent, which must not
// look like success.
func (a *app) alreadyFinished(ctx context.Context, svc *campaign.Service, plan *campaign.Plan, o sendOptions) error {
	c, st := plan.Campaign, plan.Stats
	if o.asJSON {
		rep, err := svc.Report(ctx, c.ID)
		if err != nil {
			return err
		}
		if err := printJSON(a.stdout, newSendReport(rep.Campaign, rep.Stats, nil)); err != nil {
			return err
		}
	}
	if plan.Changed {
		return &exitError{code: 1, err: fmt.Errorf("%s has been edited since campaign %d (%s to %s) was sent, and that campaign has finished: "+
			"the edited issue was NOT sent. To send it to the whole list as a new campaign, run the same command with --new "+
			"(the %d who got the earlier version get this one too); or give the issue a new id: in its front matter",
			plan.Path, c.ID, c.Slug, c.ListName, st.Sent)}
	}
	if plan.Cancelled {
		fmt.Fprintf(a.stderr, "Campaign %d (%s to %s) was cancelled: %d sent, %d not sent. Nothing was sent now. Use --new to send it as a new campaign.\n",
			c.ID, c.Slug, c.ListName, st.Sent, st.Skipped)
		return nil
	}
	fmt.Fprintf(a.stderr, "Campaign %d (%s to %s) has already finished: %d sent, %d failed, %d skipped. Nothing was sent now. Use --new to send it again as a new campaign.\n",
		c.ID, c.Slug, c.ListName, st.Sent, st.Failed, st.Skipped)
	return nil
}

// compileIssue loads and compiles an issue, printing its checks.
func (a *app) compileIssue(path, listName string) (*templates.Compiled, error) {
	is, err := templates.LoadIssue(path)
	if err != nil {
		return nil, a.checkFailure(err)
	}
	c, err := templates.Compile(is, a.templateConfig(listName))
	if err != nil {
		return nil, a.checkFailure(err)
	}
	for _, w := range c.Warnings {
		fmt.Fprintln(a.stderr, checkLine(w))
	}
	return c, nil
}

// checkFailure prints every check of a failed compile and returns a short
// error.
func (a *app) checkFailure(err error) error {
	var ce *templates.CheckError
	if !errors.As(err, &ce) {
		return err
	}
	errorsN := 0
	for _, c := range ce.Checks {
		fmt.Fprintln(a.stderr, checkLine(c))
		if c.Severity == templates.SeverityError {
			errorsN++
		}
	}
	return &exitError{code: 1, err: fmt.Errorf("the issue has %s", pluralWord(errorsN, "1 error", fmt.Sprintf("%d errors", errorsN)))}
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (a *app) sendSummary(issue *templates.Compiled, list *subscribers.List, sender *mailer.Sender, owed int, c *subscribers.Campaign, o sendOptions) string {
	var b strings.Builder
	what := "New campaign"
	if c != nil {
		what = fmt.Sprintf("Resume campaign %d", c.ID)
	}
	rate := "unlimited"
	if a.cfg.Sending.Rate > 0 {
		rate = fmt.Sprintf("%g messages/s", a.cfg.Sending.Rate)
	}
	relay := strings.Join(sender.Relays(), ", ")
	if o.capture != "" {
		relay = "local capture into " + o.capture
	}
	fmt.Fprintf(&b, "%s: %s\n", what, issue.ID)
	fmt.Fprintf(&b, "  subject     %s\n", issue.Subject)
	fmt.Fprintf(&b, "  list        %s\n", list.Name)
	fmt.Fprintf(&b, "  recipients  %d\n", owed)
	fmt.Fprintf(&b, "  relay       %s (%d connections)\n", relay, a.cfg.Sending.Concurrency)
	fmt.Fprintf(&b, "  rate        %s\n", rate)
	fmt.Fprintf(&b, "  time        about %s", eta(owed, a.cfg.Sending.Rate))
	return b.String()
}

// confirm asks on a terminal; elsewhere it insists on --yes, since a
// newsletter cannot be unsent.
func (a *app) confirm(summary string) error {
	if !isTerminal(a.stderr) {
		return usageError{errors.New("refusing to send without confirmation: run on a terminal, or pass --yes")}
	}
	fmt.Fprintln(a.stderr, summary)
	fmt.Fprint(a.stderr, "Send now? [y/N] ")
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	if ans := strings.ToLower(strings.TrimSpace(line)); ans != "y" && ans != "yes" {
		return &exitError{code: 1, err: errors.New("not sent")}
	}
	return nil
}

func (a *app) sendTest(ctx context.Context, s *sqlite.Store, sender *mailer.Sender, issue *templates.Compiled, list *subscribers.List, to string) error {
	tm := mailer.TestMessage{Issue: issue, ListID: list.ID, ListName: list.Name, ListTitle: list.Title}
	if sub, err := s.FindSubscriberByEmail(ctx, to); err == nil {
		tm.SubscriberID = sub.ID
		tm.Recipient = templates.Recipient{Email: sub.Email, Name: sub.Name, Attributes: sub.Attributes}
	} else {
		sample := templates.SampleRecipient()
		sample.Email = to
		tm.Recipient = sample
	}
	if err := subscribers.ValidateEmail(subscribers.CleanEmail(to)); err != nil {
		return usageError{fmt.Errorf("--to %q: %v", to, err)}
	}
	if err := sender.SendTest(ctx, tm); err != nil {
		return err
	}
	if err := a.adviseAudience(ctx, s, issue, list); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "Sent a test copy of %q to %s (no campaign was created or changed).\n", issue.Subject, to)
	return nil
}

// newSendReport is the --json report of a send.
func newSendReport(c *subscribers.Campaign, st subscribers.CampaignStats, res *mailer.RunResult) sendReport {
	r := sendReport{
		Campaign:           c.ID,
		Recipients:         st.Recipients,
		Sent:               st.Sent,
		Deferred:           st.Deferred,
		Failed:             st.Failed,
		Bounced:            st.HardBounces + st.SoftBounces,
		Skipped:            st.Skipped,
		Slug:               c.Slug,
		List:               c.ListName,
		Status:             string(c.Status),
		Queued:             st.Queued + st.Sending,
		PossibleDuplicates: st.PossibleDuplicates,
		PauseReason:        c.PauseReason,
	}
	if res != nil {
		r.SentThisRun, r.Interrupted, r.Seconds = res.Sent, res.Interrupted, res.Elapsed.Seconds()
		r.RelayDownSeconds, r.RelayOutages = res.RelayDown.Seconds(), res.RelayOutages
		r.RelayRTTMs = millis(res.RelayRTT)
		if len(res.RelayRTTs) > 1 {
			r.RelayRTTsMs = make(map[string]float64, len(res.RelayRTTs))
			for name, d := range res.RelayRTTs {
				r.RelayRTTsMs[name] = millis(d)
			}
		}
	}
	return r
}

// millis is d in milliseconds, to the microsecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// rttText says how far the relay is, for people.
func rttText(d time.Duration) string {
	return fmt.Sprintf("relay round trip %.1f ms", float64(d.Microseconds())/1000)
}

func (a *app) printSendSummary(c *subscribers.Campaign, st subscribers.CampaignStats, res *mailer.RunResult) {
	fmt.Fprintf(a.stdout, "Campaign %d (%s to %s): %s\n", c.ID, c.Slug, c.ListName, c.Status)
	fmt.Fprintf(a.stdout, "  recipients  %d\n  sent        %d\n  failed      %d\n  bounced     %d\n  skipped     %d   (left or suppressed before their turn)\n",
		st.Recipients, st.Sent, st.Failed, st.HardBounces+st.SoftBounces, st.Skipped)
	if st.Deferred+st.Queued+st.Sending > 0 {
		fmt.Fprintf(a.stdout, "  still owed  %d\n", st.Deferred+st.Queued+st.Sending)
	}
	if st.Failed > 0 {
		fmt.Fprintf(a.stdout, "  who failed and why: dispatch campaigns show %d --failed\n", c.ID)
	}
	if res != nil && res.Sent > 0 {
		fmt.Fprintf(a.stdout, "  this run    %d sent in %s (%.1f/s)\n", res.Sent, res.Elapsed.Round(time.Millisecond),
			float64(res.Sent)/max(res.Elapsed.Seconds(), 0.001))
	}
	if res != nil && res.RelayRTT > 0 {
		fmt.Fprintf(a.stdout, "  relay       round trip %.1f ms (timed on EHLO; see sending.concurrency in the README)\n", millis(res.RelayRTT))
	}
	if res != nil && res.RelayOutages > 0 {
		fmt.Fprintf(a.stdout, "  waited      %s for the SMTP relay (%s; no recipient lost an attempt to it)\n",
			res.RelayDown.Round(time.Second), plural(res.RelayOutages, "outage", "outages"))
	}
	if st.PossibleDuplicates > 0 {
		fmt.Fprintf(a.stdout, "  possible duplicates %d (in flight when a run was killed, or cut off after being transmitted)\n", st.PossibleDuplicates)
	}
	if res != nil && res.Ambiguous > 0 {
		fmt.Fprintf(a.stdout, "  %s after a message was transmitted in this run; %s retried and may arrive twice\n",
			plural(res.Ambiguous, "connection broke", "connections broke"), pluralWord(res.Ambiguous, "it was", "they were"))
	}
}

// sendProgress draws a bar on a terminal and prints a line every few
// seconds otherwise.
type sendProgress struct {
	a     *app
	bar   *progressbar.ProgressBar
	total int
	last  time.Time
	down  time.Time // when the relay went down, as last printed
	// advised is set once a wait has been explained in terms of the
	// settings: a wrong smtp.tls looks like an outage to the mailer.
	advised bool
	rtt     bool // the relay's round trip was printed
}

func newSendProgress(a *app, total int) *sendProgress {
	p := &sendProgress{a: a, total: total, last: time.Now()}
	if isTerminal(a.stderr) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(a.rawStderr),
			progressbar.OptionSetDescription("sending"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *sendProgress) update(pr mailer.Progress) {
	if pr.Waiting != "" && !p.advised {
		if advice := relayAdvice(pr.Waiting, p.a.relays()); advice != "" {
			p.advised = true
			fmt.Fprintln(p.a.stderr, "send: "+advice)
		}
	}
	done := pr.Sent + pr.Failed + pr.Skipped
	desc := fmt.Sprintf("sending: %.1f/s, %d failed", pr.Rate, pr.Failed)
	if pr.RelayRTT > 0 {
		desc += ", " + rttText(pr.RelayRTT)
	}
	if pr.Waiting != "" {
		desc = pr.Waiting
	}
	if p.bar == nil && pr.RelayRTT > 0 && !p.rtt {
		// Once, as soon as it is known: with the rate it says whether
		// sending.concurrency suits the distance (see the README).
		p.rtt = true
		fmt.Fprintf(p.a.stderr, "send: connected; %s (timed on EHLO)\n", rttText(pr.RelayRTT))
	}
	if p.bar != nil {
		p.bar.Describe(desc)
		p.bar.Set(done)
		return
	}
	// The relay going down or coming back is printed at once.
	changed := !pr.RelayDownSince.Equal(p.down)
	back := changed && pr.RelayDownSince.IsZero()
	p.down = pr.RelayDownSince
	if time.Since(p.last) < 5*time.Second && !changed {
		return
	}
	p.last = time.Now()
	line := fmt.Sprintf("send: %d/%d sent, %d failed, %d retrying, %.1f msgs/s", pr.Sent, p.total, pr.Failed, pr.Retrying, pr.Rate)
	if left := p.total - done; pr.Rate > 0 && left > 0 && pr.RelayDownSince.IsZero() {
		line += fmt.Sprintf(", about %s left", time.Duration(float64(left)/pr.Rate*float64(time.Second)).Round(time.Second))
	}
	if pr.RelayRTT > 0 {
		line += ", " + rttText(pr.RelayRTT)
	}
	if pr.Waiting != "" {
		line += "; " + pr.Waiting
	}
	if back {
		line += "; the SMTP relay is reachable again"
	}
	fmt.Fprintln(p.a.stderr, line)
}

func (p *sendProgress) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// checkPublicLinks refuses to mail real recipients links that cannot work:
// through a relay beyond this machine, web.base_url must be the public
// https address of `dispatch serve` (RFC 8058 one-click requires https).
func checkPublicLinks(relays []mailer.Relay, baseURL string) error {
	remote := false
	for _, r := range relays {
		if !loopback.IsHost(r.Host) {
			remote = true
		}
	}
	if !remote {
		return nil
	}
	u, err := url.Parse(baseURL)
	if err != nil || u.Scheme != "https" || loopback.IsHost(u.Hostname()) {
		return fmt.Errorf("refusing to send: web.base_url is %q, but unsubscribe links in real mail must point at the public https address of `dispatch serve` (set web.base_url)", baseURL)
	}
	return nil
}

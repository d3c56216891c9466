package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/examples"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/subscribers"
	"github.com/dispatchhq/dispatch/templates"
)

type doctorOptions struct {
	asJSON bool
	issue  string
}

func newDoctorCmd(a *app) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check everything between \"configured\" and \"lands in the inbox\"",
		Long: `Doctor checks the configuration, the DNS records receivers authenticate
mail with (SPF for the relay's addresses, the DKIM key, DMARC, alignment,
an MX for bounces, BIMI), the relay (TLS, certificate, AUTH, PIPELINING,
SIZE; no mail is sent), the one-click unsubscribe endpoint at web.base_url,
and a message rendered from the issue (or the example issue): its DKIM
signature, size, From and Message-ID.

Each check says OK, WARN or FAIL, with the fix, down to the DNS record to
publish where it can be computed. The exit status is 1 when any check fails.
doctor.resolver points the DNS checks at a given server.`,
		Example: `  dispatch doctor
  dispatch doctor --issue issue.md --json`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.doctor(cmd.Context(), o)
		},
	}
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&o.issue, "issue", "", "lint a message rendered from this issue (default: the example issue)")
	return cmd
}

func (a *app) doctor(ctx context.Context, o doctorOptions) error {
	issue, err := a.doctorIssue(o.issue)
	if err != nil {
		return err
	}
	dc, sender, err := a.doctorConfig(issue.From, nil)
	if err != nil {
		return err
	}
	// The store, when there is one, caches the DNS results for sends.
	store, err := a.openIfExists(ctx)
	if err != nil {
		return err
	}
	rep := doctor.CheckConfig(dc)
	if len(dc.Relays) == 0 {
		rep.Results = append(rep.Results, doctor.Result{Group: doctor.GroupConfig, Name: "relay", Status: doctor.Fail,
			Message: "no SMTP relay configured", Fix: "set smtp.host, smtp.port, smtp.username and smtp.password"})
	}
	dns := doctor.CheckDNS(ctx, dc)
	a.saveDNS(ctx, store, dc, dns)
	rep.Merge(dns)
	if sender != nil {
		rep.Merge(doctor.CheckRelays(ctx, dc))
	}
	rep.Merge(doctor.CheckOneClick(ctx, dc))
	if sender != nil {
		rep.Merge(lintMessage(dc, sender, issue))
	}
	rep.Checked = time.Now().UTC()
	if o.asJSON {
		if err := printJSON(a.stdout, rep); err != nil {
			return err
		}
	} else {
		printDoctor(a.stdout, rep)
	}
	if rep.Failed() {
		return &exitError{code: 1, err: fmt.Errorf("doctor: %s", plural(rep.Count(doctor.Fail), "check failed", "checks failed"))}
	}
	return nil
}

// doctorIssue compiles the issue to lint: the given file, or the example.
func (a *app) doctorIssue(path string) (*templates.Compiled, error) {
	if path != "" {
		return a.compileIssue(path, "clients")
	}
	is, err := templates.ParseIssue("examples/issue.md", examples.IssueMD)
	if err != nil {
		return nil, err
	}
	return templates.Compile(is, a.templateConfig("clients"))
}

// doctorConfig fills the checks' view of the configuration. The sender is
// nil when no relay is configured; that is reported as a failure.
// relays overrides the configured relays when not nil (a send's capture
// server).
func (a *app) doctorConfig(issueFrom string, relays []mailer.Relay) (*doctor.Config, *mailer.Sender, error) {
	from := a.cfg.Sender.From
	if issueFrom != "" {
		from = issueFrom
	}
	dc := &doctor.Config{
		BaseURL:       a.cfg.Web.BaseURL,
		PostalAddress: a.cfg.Sender.PostalAddress,
		From:          from,
		BounceAddress: a.cfg.Sender.BounceAddress,
		CFBLAddress:   a.cfg.Sender.CFBLAddress,
		Resolver:      a.cfg.Doctor.Resolver,
	}
	tokens, err := a.tokens()
	if err != nil {
		dc.SecretProblem = err
	} else {
		// Subscriber 0 never exists: serve answers the one-click POST and
		// changes nothing.
		dc.OneClickToken = tokens.Unsubscribe(subscribers.UnsubscribeRef{})
	}
	if relays == nil {
		if a.cfg.SMTP.Host == "" && len(a.cfg.SMTP.Relays) == 0 {
			return dc, nil, nil
		}
		relays = a.relays()
	}
	for _, r := range relays {
		name := r.Name
		if name == "" {
			name = fmt.Sprintf("%s:%d", r.Host, r.Port)
		}
		dc.Relays = append(dc.Relays, doctor.Relay{
			Name:       name,
			Host:       r.Host,
			Port:       r.Port,
			TLS:        r.TLS,
			SkipVerify: r.InsecureSkipVerify,
			Auth:       r.Username != "",
		})
	}
	if tokens == nil {
		return dc, nil, nil
	}
	probed := slices.Clone(relays)
	for i := range probed {
		// The sender refuses to send such a relay its password; probe it
		// without AUTH (the configuration check above reports it).
		if probed[i].CheckCleartextAuth() != nil {
			probed[i].Username, probed[i].Password = "", ""
		}
	}
	mcfg, err := a.mailerConfig(probed)
	if err != nil {
		return nil, nil, err
	}
	if mcfg.DKIM != nil {
		dc.DKIM = &doctor.DKIM{Domain: mcfg.DKIM.Domain, Selector: mcfg.DKIM.Selector, Key: mcfg.DKIM.Key}
	}
	mcfg.From = from
	sender, err := mailer.New(mcfg, nil)
	if err != nil {
		return nil, nil, err
	}
	dc.Probe = func(ctx context.Context, i int) (doctor.RelayInfo, error) {
		p, err := sender.Probe(ctx, i)
		return doctor.RelayInfo{
			TLS:        p.TLS,
			TLSVersion: p.TLSVersion,
			Verified:   p.Verified,
			Extensions: p.Extensions,
			RTT:        p.RTT,
		}, err
	}
	dc.RelayHint = func(i int, err error) string {
		return relayFix(relays[i], relayKey(relays, i), err.Error())
	}
	return dc, sender, nil
}

// lintMessage builds the message a subscriber would get and lints it.
func lintMessage(dc *doctor.Config, sender *mailer.Sender, issue *templates.Compiled) doctor.Report {
	msg, err := sender.BuildTest(mailer.TestMessage{Issue: issue, ListName: "clients",
		Recipient: templates.Recipient{Email: "reader@example.com", Name: "Reader"}})
	if err != nil {
		var r doctor.Report
		r.Results = append(r.Results, doctor.Result{Group: doctor.GroupMessage, Name: "build", Status: doctor.Fail, Message: err.Error()})
		return r
	}
	return doctor.CheckMessage(dc, msg)
}

func printDoctor(w io.Writer, rep doctor.Report) {
	t := newTable(w)
	for _, r := range rep.Results {
		fmt.Fprintf(t, "%s\t%s\t%s\t%s\n", r.Status, r.Group, r.Name, cleanLine(r.Message))
		if r.Fix != "" {
			fmt.Fprintf(t, "\t\t\tfix: %s\n", cleanLine(r.Fix))
		}
	}
	t.Flush()
	fmt.Fprintf(w, "\n%s, %s, %s.\n", plural(rep.Count(doctor.OK), "ok", "ok"),
		plural(rep.Count(doctor.Warn), "warning", "warnings"), plural(rep.Count(doctor.Fail), "failure", "failures"))
}

// cleanLine keeps a message on one line of the table.
func cleanLine(s string) string { return strings.Join(strings.Fields(s), " ") }

package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/examples"
	"github.com/dispatchhq/dispatch/internal/dnstest"
	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/templates"
)

// TestPreflightDNS: before a send through a remote relay, the DNS checks
// run, refuse on a failure unless forced, and a passing result is cached
// so the next send asks DNS no more for a day. No connection is made: the
// relay's name is never dialled.
func TestPreflightDNS(t *testing.T) {
	ctx := context.Background()
	zone := dnstest.Zone{
		"example.com":       {"TXT v=spf1 ip4:192.0.2.10 -all", "MX 10 mx.example.com."},
		"relay.example.com": {"A 192.0.2.10"},
	}
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var stderr bytes.Buffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &stderr, cfg: DefaultConfig(), logger: slog.New(slog.DiscardHandler)}
	a.cfg.Web.BaseURL = "https://news.example.com"
	a.cfg.Web.Secret = "Zq8vN3kL1pX7rT5wY2mB9cD4fG6hJ0sQ"
	a.cfg.Sender = SenderConfig{From: "Briefing <briefing@example.com>", PostalAddress: "1 Main St"}
	a.cfg.Doctor.Resolver = dnstest.Start(t, zone)
	relays := []mailer.Relay{{Name: "relay", Host: "relay.example.com", Port: 587, TLS: tlsmode.StartTLS}}
	is, err := templates.ParseIssue("issue.md", examples.IssueMD)
	if err != nil {
		t.Fatal(err)
	}
	issue, err := templates.Compile(is, a.templateConfig("clients"))
	if err != nil {
		t.Fatal(err)
	}

	// No DMARC and no DKIM: refused, with the record to publish.
	err = a.preflight(ctx, store, issue, relays, false)
	if code := exitCode(err); code != 1 || !strings.Contains(stderr.String(), `publish TXT _dmarc.example.com "v=DMARC1; p=none; rua=mailto:dmarc@example.com"`) {
		t.Fatalf("preflight without DMARC: exit %d (%v); want 1 and the record in:\n%s", code, err, stderr.String())
	}
	if err := a.preflight(ctx, store, issue, relays, true); err != nil {
		t.Fatalf("preflight --force: %v; want to go ahead", err)
	}

	// The console's confirmation runs the same checks through the relay
	// serve is configured with, and finds the same failure.
	a.cfg.SMTP = SMTPConfig{Host: "relay.example.com", Port: 587, TLS: tlsmode.StartTLS}
	cs := a.consoleSending(store)
	if cs == nil {
		t.Fatal("the console has no sending with smtp.host set")
	}
	rep, err := cs.Preflight(ctx, issue)
	if err != nil || !rep.Failed() || !reportFixes(rep, "_dmarc.example.com") {
		t.Fatalf("console preflight = %+v, %v; want the DMARC failure with its record", rep.Results, err)
	}

	// Published: it passes, and the result is cached for the next send.
	zone["_dmarc.example.com"] = []string{"TXT v=DMARC1; p=none; rua=mailto:dmarc@example.com"}
	dns := dnstest.New(t, zone)
	a.cfg.Doctor.Resolver = dns.Addr
	stderr.Reset()
	if err := a.preflight(ctx, store, issue, relays, false); err != nil {
		t.Fatalf("preflight with DMARC: %v\n%s", err, stderr.String())
	}
	asked := dns.Queries()
	if asked == 0 {
		t.Fatal("the DNS checks asked nothing")
	}
	if err := a.preflight(ctx, store, issue, relays, false); err != nil {
		t.Fatalf("second preflight: %v", err)
	}
	if n := dns.Queries(); n != asked {
		t.Errorf("the second send asked DNS %d more questions; want the cached result", n-asked)
	}
}

// reportFixes says whether a failed check of rep names want in its fix.
func reportFixes(rep doctor.Report, want string) bool {
	for _, r := range rep.Results {
		if r.Status == doctor.Fail && strings.Contains(r.Fix, want) {
			return true
		}
	}
	return false
}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return -1
}

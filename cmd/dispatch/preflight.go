package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dispatchhq/dispatch/doctor"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/sqlite"
	"github.com/dispatchhq/dispatch/templates"
)

// dnsCheckMaxAge is how long `dispatch send` trusts the DNS checks of an
// earlier send or `dispatch doctor` before asking DNS again.
const dnsCheckMaxAge = 24 * time.Hour

// preflight runs the doctor's fast checks (configuration, the message as
// it will be sent) before a send, and the DNS checks when the cached ones
// are older than a day. A failure refuses the send unless force is set.
// With every relay on this machine the DNS checks are skipped: nothing
// leaves it.
func (a *app) preflight(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, relays []mailer.Relay, force bool) error {
	rep, err := a.preflightReport(ctx, s, issue, relays)
	if err != nil {
		return err
	}
	var warned []string
	for _, r := range rep.Results {
		switch r.Status {
		case doctor.Fail:
			fmt.Fprintf(a.stderr, "check failed: %s %s: %s\n", r.Group, r.Name, cleanLine(r.Message))
			if r.Fix != "" {
				fmt.Fprintf(a.stderr, "  fix: %s\n", cleanLine(r.Fix))
			}
		case doctor.Warn:
			warned = append(warned, string(r.Group)+" "+r.Name)
		}
	}
	if len(warned) > 0 {
		fmt.Fprintf(a.stderr, "checks: %s (%s); `dispatch doctor` explains\n",
			plural(len(warned), "warning", "warnings"), strings.Join(warned, ", "))
	}
	if !rep.Failed() {
		return nil
	}
	if force {
		fmt.Fprintf(a.stderr, "sending anyway (--force) despite %s\n", plural(rep.Count(doctor.Fail), "failed check", "failed checks"))
		return nil
	}
	return &exitError{code: 1, err: fmt.Errorf("%s before sending: fix %s, or pass --force to send anyway (`dispatch doctor` shows every check)",
		plural(rep.Count(doctor.Fail), "check failed", "checks failed"), pluralWord(rep.Count(doctor.Fail), "it", "them"))}
}

// preflightReport runs the checks of preflight and returns what they
// found; the console shows the same report before a send.
func (a *app) preflightReport(ctx context.Context, s *sqlite.Store, issue *templates.Compiled, relays []mailer.Relay) (doctor.Report, error) {
	dc, sender, err := a.doctorConfig(issue.From, relays)
	if err != nil {
		return doctor.Report{}, err
	}
	rep := doctor.CheckConfig(dc)
	if sender != nil {
		rep.Merge(lintMessage(dc, sender, issue))
	}
	if !dc.Local() {
		rep.Merge(a.cachedDNS(ctx, s, dc))
	}
	return rep, nil
}

// cachedDNS returns the DNS checks for dc from the cache when they are
// fresh, and runs them otherwise. Only a report without failures is
// cached: once the admin fixes a record, the next send sees it.
func (a *app) cachedDNS(ctx context.Context, s *sqlite.Store, dc *doctor.Config) doctor.Report {
	key := dnsCacheKey(dc)
	if s != nil {
		if data, at, err := s.FindCheckReport(ctx, key); err == nil && time.Since(at) < dnsCheckMaxAge {
			var rep doctor.Report
			if json.Unmarshal(data, &rep) == nil {
				return rep
			}
		}
	}
	rep := doctor.CheckDNS(ctx, dc)
	a.saveDNS(ctx, s, dc, rep)
	return rep
}

// saveDNS caches a DNS report; a failure to cache only costs a lookup.
func (a *app) saveDNS(ctx context.Context, s *sqlite.Store, dc *doctor.Config, rep doctor.Report) {
	if s == nil || rep.Failed() {
		return
	}
	rep.Checked = time.Now().UTC()
	data, err := json.Marshal(rep)
	if err == nil {
		err = s.SaveCheckReport(ctx, dnsCacheKey(dc), data, rep.Checked)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		a.logger.Warn("cache dns checks", "err", err)
	}
}

// dnsCacheKey digests everything the DNS checks look at, so that a change
// of domain, key, relay or resolver is a cache miss.
func dnsCacheKey(dc *doctor.Config) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", dc.From, dc.BounceAddress, dc.Resolver)
	if dc.DKIM != nil {
		rec, _ := doctor.DKIMRecord(dc.DKIM)
		fmt.Fprintf(h, "%s\n%s\n%s\n", dc.DKIM.Domain, dc.DKIM.Selector, rec)
	}
	for _, r := range dc.Relays {
		fmt.Fprintf(h, "%s\n", r.Host)
	}
	return "dns:" + hex.EncodeToString(h.Sum(nil))
}

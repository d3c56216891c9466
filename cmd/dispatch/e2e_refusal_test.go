package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// listStatuses returns each subscriber's status from the real binary.
func listStatuses(t *testing.T, dir string) map[string]string {
	t.Helper()
	r := dispatch(t, dir, "subscribers", "list", "--json")
	var subs []struct{ Email, Status string }
	if err := json.Unmarshal([]byte(r.stdout), &subs); err != nil {
		t.Fatalf("subscribers list --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	out := map[string]string{}
	for _, s := range subs {
		out[s.Email] = s.Status
	}
	return out
}

// TestEndToEndSenderRefusalPausesAndBlamesNobody: a relay configured like
// Postfix's standard submission service (reject_sender_login_mismatch)
// answers every RCPT with a refusal of the envelope sender. Before, one
// send suppressed all 50 subscribers for good and "finished"; now every
// subscriber stays active and the campaign pauses, exit non-zero, with the
// relay's reply as the reason.
func TestEndToEndSenderRefusalPausesAndBlamesNobody(t *testing.T) {
	const n = 50
	e := newSendEnv(t, n, "")
	const reply = "<bounces+d1.x@example.com>: Sender address rejected: not owned by user newsletter"
	for i := range n {
		e.srv.FailRcpt(fmt.Sprintf("reader%d@example.com", i), 553, "5.7.1", reply)
	}
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code == 0 {
		t.Fatalf("send exit 0; want non-zero for a paused campaign\n%s%s", r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "paused") || !strings.Contains(r.stderr, "Sender address rejected: not owned by user newsletter") {
		t.Errorf("stderr does not give the relay's reply as the pause reason:\n%s", r.stderr)
	}
	st := listStatuses(t, e.dir)
	if len(st) != n {
		t.Fatalf("%d subscribers listed; want %d", len(st), n)
	}
	for email, s := range st {
		if s != "active" {
			t.Errorf("%s is %s; want active", email, s)
		}
	}
	cs := campaignsJSON(t, e.dir)
	if len(cs) != 1 || cs[0].Status != "paused" || cs[0].Bounced != 0 || cs[0].Failed > 3 {
		t.Errorf("campaigns = %+v; want one paused campaign, no bounces, at most a worker's share failed", cs)
	}
}

// TestEndToEndUnsuppress: the recovery path for a campaign whose refusals
// suppressed subscribers. It restores exactly the subscribers that
// campaign's bounces suppressed, records the admin's reason, and leaves a
// blocklisted address alone.
func TestEndToEndUnsuppress(t *testing.T) {
	e := newSendEnv(t, 6, "")
	for i := range 4 {
		e.srv.FailRcpt(fmt.Sprintf("reader%d@example.com", i), 550, "5.1.1", "user unknown")
	}
	if r := dispatch(t, e.dir, "subscribers", "blocklist", "reader5@example.com", "--reason", "trap"); r.code != 0 {
		t.Fatalf("blocklist: %s", r.stderr)
	}
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: exit %d %s", r.code, r.stderr)
	}
	id := fmt.Sprint(campaignsJSON(t, e.dir)[0].ID)
	if st := listStatuses(t, e.dir); st["reader0@example.com"] != "bounced" || st["reader3@example.com"] != "bounced" {
		t.Fatalf("statuses before = %v; want reader0-3 bounced", st)
	}

	if r := dispatch(t, e.dir, "subscribers", "unsuppress", "--campaign", id); r.code == 0 || !strings.Contains(r.stderr, "--reason") {
		t.Errorf("without --reason: exit %d %s; want a usage error naming --reason", r.code, r.stderr)
	}
	type report struct {
		Campaign    int64 `json:"campaign"`
		DryRun      bool  `json:"dry_run"`
		Restored    int   `json:"restored"`
		Subscribers []struct {
			Email        string `json:"email"`
			SuppressedBy string `json:"suppressed_by"`
		} `json:"subscribers"`
	}
	run := func(args ...string) report {
		t.Helper()
		r := dispatch(t, e.dir, append([]string{"subscribers", "unsuppress", "--campaign", id, "--reason", "relay refused our sender", "--json"}, args...)...)
		if r.code != 0 {
			t.Fatalf("unsuppress %v: exit %d %s", args, r.code, r.stderr)
		}
		var rep report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("unsuppress --json: %v\n%s", err, r.stdout)
		}
		return rep
	}
	dry := run("--dry-run")
	if !dry.DryRun || dry.Restored != 4 || len(dry.Subscribers) != 4 || dry.Subscribers[0].SuppressedBy != "smtp" {
		t.Errorf("dry run = %+v; want 4 suppressed by smtp", dry)
	}
	if st := listStatuses(t, e.dir); st["reader0@example.com"] != "bounced" {
		t.Errorf("dry run changed reader0 to %s", st["reader0@example.com"])
	}
	if rep := run(); rep.DryRun || rep.Restored != 4 {
		t.Errorf("unsuppress = %+v; want 4 restored", rep)
	}
	want := map[string]string{"reader0@example.com": "active", "reader1@example.com": "active", "reader2@example.com": "active",
		"reader3@example.com": "active", "reader4@example.com": "active", "reader5@example.com": "blocklisted"}
	if st := listStatuses(t, e.dir); fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("statuses after = %v; want %v", st, want)
	}
	if rep := run(); rep.Restored != 0 {
		t.Errorf("second unsuppress restored %d; want 0", rep.Restored)
	}
	r := dispatch(t, e.dir, "subscribers", "show", "reader0@example.com")
	if !strings.Contains(r.stdout, "relay refused our sender") {
		t.Errorf("history does not name the admin's reason:\n%s", r.stdout)
	}
}

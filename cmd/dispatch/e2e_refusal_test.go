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

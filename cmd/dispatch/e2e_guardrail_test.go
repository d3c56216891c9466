package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestEndToEndBounceGuardrailPausesTheCampaign: a relay that answers
// 550 5.1.1 to 10% of the recipients pauses the campaign once 200
// deliveries are judged, with the reason in send's exit, in campaigns,
// and a refusal to resume it without an explicit `campaigns resume`.
func TestEndToEndBounceGuardrailPausesTheCampaign(t *testing.T) {
	const n = 400
	e := newSendEnv(t, n, "")
	for i := 0; i < n; i += 10 {
		e.srv.FailRcpt(fmt.Sprintf("reader%d@example.com", i), 550, "5.1.1", "user unknown")
	}
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	rep := parseSend(t, r)
	if r.code != 1 || rep.Status != "paused" || !strings.Contains(rep.PauseReason, "bounce-rate guardrail") ||
		!strings.Contains(r.stderr, "campaigns resume 1") {
		t.Fatalf("send: exit %d, %+v\n%s\nwant exit 1, paused by the bounce-rate guardrail, and how to resume", r.code, rep, r.stderr)
	}
	if done := rep.Sent + rep.Failed; done < 200 || done >= n {
		t.Errorf("%d deliveries before the pause; want the first judgement at 200, well before all %d", done, n)
	}
	r = dispatch(t, e.dir, "campaigns")
	if !strings.Contains(r.stdout, "Campaign 1 paused: the bounce-rate guardrail") {
		t.Errorf("campaigns:\n%s\nwant the guardrail's reason", r.stdout)
	}
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "explicit `dispatch campaigns resume 1`") {
		t.Errorf("send again: exit %d\n%s\nwant a refusal until an explicit resume", r.code, r.stderr)
	}
	if r := dispatch(t, e.dir, "campaigns", "resume", "1"); r.code != 0 || !strings.Contains(r.stdout, "Resumed campaign 1") {
		t.Fatalf("campaigns resume: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	e.srv.Reset() // the list was cleaned
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if rep := parseSend(t, r); r.code != 0 || rep.Status != "finished" {
		t.Errorf("send after resume: exit %d, %+v\n%s", r.code, rep, r.stderr)
	}
}

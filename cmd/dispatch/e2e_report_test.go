package main

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestEndToEndCampaignReport: `campaigns show ID --json` keeps the keys
// of `campaigns --json` and adds the report: the first and last delivery,
// the timeline, failures grouped by reply and the recipient domains; the
// text and CSV forms say the same.
func TestEndToEndCampaignReport(t *testing.T) {
	e := newSendEnv(t, 20, "")
	for _, who := range []string{"reader3@example.com", "reader7@example.com", "reader11@example.com"} {
		e.srv.FailRcpt(who, 550, "5.1.1", "user unknown")
	}
	before := time.Now().Add(-time.Second)
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := dispatch(t, e.dir, "campaigns", "show", "1", "--json")
	if r.code != 0 {
		t.Fatalf("show --json: exit %d\n%s", r.code, r.stderr)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &keys); err != nil {
		t.Fatalf("show --json: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"id", "slug", "list", "subject", "status", "recipients", "sent", "deferred", "failed", "bounced",
		"hard_bounces", "soft_bounces", "complaints", "unsubscribed", "skipped", "queued", "possible_duplicates", "rate",
		"created_at", "started_at", "finished_at", "issue_path",
		"first_delivery_at", "last_delivery_at", "timeline", "failures", "domains"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("show --json lacks %q", k)
		}
	}
	var show struct {
		Recipients, Sent, Failed int
		HardBounces              int        `json:"hard_bounces"`
		FirstDeliveryAt          *time.Time `json:"first_delivery_at"`
		LastDeliveryAt           *time.Time `json:"last_delivery_at"`
		Timeline                 struct {
			Minutes []struct {
				At                     time.Time
				Sent, Deferred, Failed int
			} `json:"deliveries_per_minute"`
			Hours []struct {
				At          time.Time
				HardBounces int `json:"hard_bounces"`
			} `json:"returns_per_hour"`
		}
		Failures []struct {
			Code   int
			Reason string
			Count  int
		}
		Domains []struct {
			Domain                          string
			Sent, Deferred, Failed, Bounced int
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &show); err != nil {
		t.Fatal(err)
	}
	if show.Recipients != 20 || show.Sent != 17 || show.Failed != 3 || show.HardBounces != 3 {
		t.Errorf("counts = %+v; want 17 sent, 3 failed with 3 hard bounces, of 20", show)
	}
	if show.FirstDeliveryAt == nil || show.LastDeliveryAt == nil || show.FirstDeliveryAt.Before(before) ||
		show.LastDeliveryAt.Before(*show.FirstDeliveryAt) || time.Since(*show.LastDeliveryAt) > time.Minute {
		t.Errorf("first and last delivery = %v, %v; want both during the send", show.FirstDeliveryAt, show.LastDeliveryAt)
	}
	sent, failed := 0, 0
	for _, m := range show.Timeline.Minutes {
		sent, failed = sent+m.Sent, failed+m.Failed
	}
	if sent != 17 || failed != 3 {
		t.Errorf("timeline minutes %+v add up to %d sent, %d failed; want 17 and 3", show.Timeline.Minutes, sent, failed)
	}
	if len(show.Timeline.Hours) != 1 || show.Timeline.Hours[0].HardBounces != 3 {
		t.Errorf("returns per hour = %+v; want the 3 hard bounces in one hour", show.Timeline.Hours)
	}
	if len(show.Failures) != 1 || show.Failures[0].Code != 550 || show.Failures[0].Count != 3 ||
		!strings.Contains(show.Failures[0].Reason, "5.1.1") || !strings.Contains(show.Failures[0].Reason, "user unknown") ||
		strings.Contains(show.Failures[0].Reason, "@") {
		t.Errorf("failures = %+v; want one group: 550 5.1.1 user unknown, 3, without addresses", show.Failures)
	}
	if len(show.Domains) != 1 || show.Domains[0].Domain != "example.com" || show.Domains[0].Sent != 17 ||
		show.Domains[0].Failed != 3 || show.Domains[0].Bounced != 3 {
		t.Errorf("domains = %+v; want example.com with 17 sent, 3 failed, 3 bounced", show.Domains)
	}

	text := dispatch(t, e.dir, "campaigns", "show", "1").stdout
	for _, want := range []string{"First delivery", "Last delivery", "Failures by reply:", show.Failures[0].Reason, "Top recipient domains:", "example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("campaigns show lacks %q:\n%s", want, text)
		}
	}
	out := dispatch(t, e.dir, "campaigns", "show", "1", "--csv")
	rows, err := csv.NewReader(strings.NewReader(out.stdout)).ReadAll()
	if err != nil || out.code != 0 {
		t.Fatalf("campaigns show --csv: exit %d, %v\n%s%s", out.code, err, out.stdout, out.stderr)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[strings.Join(r, "|")] = true
	}
	for _, want := range []string{"section|key|metric|value", "summary||sent|17", "summary||failed|3",
		"failures|" + show.Failures[0].Reason + "|count|3", "domains|example.com|sent|17", "domains|example.com|bounced|3"} {
		if !got[want] {
			t.Errorf("campaigns show --csv lacks the row %q:\n%s", want, out.stdout)
		}
	}
	if r := dispatch(t, e.dir, "campaigns", "show", "1", "--csv", "--json"); r.code != 2 {
		t.Errorf("--csv with --json: exit %d; want 2 (usage)\n%s", r.code, r.stderr)
	}
}

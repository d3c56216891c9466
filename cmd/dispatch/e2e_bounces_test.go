package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEndForgedReportsChangeNobody reproduces the attack through the
// binary: 2,000 subscribers who were never sent anything (and 3 who were)
// are named in a 10,000-recipient delivery report with no token, and one of
// them in a forged ARF complaint. Nobody changes; both reports are listed
// by `bounces unattributed`. A genuine DSN to the VERP address still
// suppresses its subscriber.
func TestEndToEndForgedReportsChangeNobody(t *testing.T) {
	e := newSendEnv(t, 3, "")
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	var csv strings.Builder
	csv.WriteString("email\n")
	for i := range 2000 {
		fmt.Fprintf(&csv, "later%d@example.com\n", i)
	}
	os.WriteFile(filepath.Join(e.dir, "later.csv"), []byte(csv.String()), 0o600)
	if r := dispatch(t, e.dir, "import", "later.csv", "--list", "clients"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}

	var dsn bytes.Buffer
	dsn.WriteString("From: MAILER-DAEMON@mx.attacker.example\r\nTo: bounces@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
		"Message-ID: <forged-1@mx.attacker.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.attacker.example\r\n\r\n")
	for i := range 10_000 {
		addr := fmt.Sprintf("stranger%d@example.org", i)
		switch {
		case i < 3:
			addr = fmt.Sprintf("reader%d@example.com", i)
		case i < 2003:
			addr = fmt.Sprintf("later%d@example.com", i-3)
		}
		fmt.Fprintf(&dsn, "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n", addr)
	}
	dsn.WriteString("--B--\r\n")
	arf := "From: <feedback@fbl.attacker.example>\r\nTo: <bounces@example.com>\r\nSubject: complaint\r\n" +
		"Message-ID: <arf-1@fbl.attacker.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=feedback-report; boundary=\"F\"\r\n\r\n" +
		"--F\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n\r\n" +
		"--F\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: Forger/1.0\r\nVersion: 1\r\n" +
		"Original-Rcpt-To: <later7@example.com>\r\n\r\n" +
		"--F\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Briefing <briefing@example.com>\r\nTo: later7@example.com\r\n" +
		"Message-ID: <aaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com>\r\nX-Dispatch-Delivery: aaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n--F--\r\n"
	os.WriteFile(filepath.Join(e.dir, "forged-dsn.eml"), dsn.Bytes(), 0o600)
	os.WriteFile(filepath.Join(e.dir, "forged-arf.eml"), []byte(arf), 0o600)

	var sum struct {
		Messages, Bounces, Complaints, Unattributed, Duplicates int
	}
	for pass := 1; pass <= 2; pass++ {
		r := dispatch(t, e.dir, "bounces", "process", "forged-dsn.eml", "forged-arf.eml", "--json")
		if r.code != 0 {
			t.Fatalf("pass %d: process: %d %s", pass, r.code, r.stderr)
		}
		if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
			t.Fatalf("pass %d: %v\n%s", pass, err, r.stdout)
		}
		want := struct{ Messages, Bounces, Complaints, Unattributed, Duplicates int }{2, 0, 0, 2, 0}
		if pass == 2 {
			want.Unattributed, want.Duplicates = 0, 2
		}
		if sum != want {
			t.Errorf("pass %d: summary %+v; want %+v", pass, sum, want)
		}
	}
	for _, email := range []string{"reader0@example.com", "reader2@example.com", "later0@example.com", "later7@example.com", "later1999@example.com"} {
		if got := status(t, e.dir, email); got != "active" {
			t.Errorf("%s = %s; want active", email, got)
		}
	}
	r := dispatch(t, e.dir, "subscribers", "list", "--json")
	if n := strings.Count(r.stdout, `"status":"active"`); n != 2003 {
		t.Errorf("%d active subscribers in the list; want all 2003\n%s", n, r.stderr)
	}

	r = dispatch(t, e.dir, "bounces", "unattributed", "--json")
	var reports []struct {
		Kind       string
		Source     string
		Reason     string
		Recipients int
		Addresses  []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil || len(reports) != 2 {
		t.Fatalf("bounces unattributed --json: %v, %d reports\n%s%s", err, len(reports), r.stdout, r.stderr)
	}
	arfRep, dsnRep := reports[0], reports[1] // newest first
	if arfRep.Kind != "complaint" || !strings.Contains(arfRep.Reason, "not sent a message within 14 days") ||
		len(arfRep.Addresses) != 1 || arfRep.Addresses[0] != "later7@example.com" {
		t.Errorf("complaint report = %+v", arfRep)
	}
	if dsnRep.Kind != "hard" || dsnRep.Recipients != 10_000 || dsnRep.Source != "mail" ||
		!strings.Contains(dsnRep.Reason, "names 10000 recipients (address matching allows at most 5)") {
		t.Errorf("bounce report = %+v", dsnRep)
	}
	r = dispatch(t, e.dir, "bounces", "unattributed")
	if r.code != 0 || !strings.Contains(r.stdout, "REASON") || !strings.Contains(r.stdout, "reader0@example.com, reader1@example.com, reader2@example.com (+9997)") {
		t.Errorf("bounces unattributed: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A genuine report, to the VERP address of reader1's message.
	var verp string
	for _, m := range e.srv.Messages() {
		if m.To[0] == "reader1@example.com" {
			verp = m.From
		}
	}
	genuine := fmt.Sprintf("Return-Path: <>\r\nDelivered-To: %s\r\nFrom: MAILER-DAEMON@mx.example.com\r\nTo: %s\r\n"+
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-ok@mx.example.com>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"+
		"Final-Recipient: rfc822; reader1@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n--B--\r\n", verp, verp)
	os.WriteFile(filepath.Join(e.dir, "genuine.eml"), []byte(genuine), 0o600)
	if r := dispatch(t, e.dir, "bounces", "process", "genuine.eml"); r.code != 0 || !strings.Contains(r.stdout, "1 bounces") {
		t.Fatalf("genuine: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if got := status(t, e.dir, "reader1@example.com"); got != "bounced" {
		t.Errorf("reader1 after a genuine VERP bounce = %s; want bounced", got)
	}
}

// TestEndToEndServeWebhookTrust runs `dispatch serve`: SES without topic
// ARNs is refused at start, naming the key; a verified provider bounce for
// an address Dispatch never mailed, over real HTTP, changes no one and is
// listed by `bounces unattributed`.
func TestEndToEndServeWebhookTrust(t *testing.T) {
	e := newSendEnv(t, 1, "webhooks:\n  postmark:\n    token: hook-token-123\n")
	cfgPath := filepath.Join(e.dir, "dispatch.yaml")
	cfg, _ := os.ReadFile(cfgPath)

	os.WriteFile(filepath.Join(e.dir, "ses.yaml"), append(append([]byte{}, cfg...), "  ses:\n    enabled: true\n"...), 0o600)
	if r := dispatch(t, e.dir, "--config", "ses.yaml", "serve"); r.code == 0 || !strings.Contains(r.stderr, "webhooks.ses.topic_arns") {
		t.Errorf("serve with SES and no topic_arns: exit %d, stderr %q; want a config error naming webhooks.ses.topic_arns", r.code, r.stderr)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080", "base_url: http://"+addr+"\n  listen: "+addr, 1)), 0o600)
	startServe(t, e.dir, addr)
	body := `{"RecordType":"Bounce","ID":99,"Type":"HardBounce","Email":"reader0@example.com",` +
		`"Details":"smtp;550 5.1.1 no such user","BouncedAt":"2026-11-29T10:00:00Z"}`
	for range 2 {
		req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/postmark", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Webhook-Token", "hook-token-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("webhook: status %d; want 204", resp.StatusCode)
		}
	}
	if got := status(t, e.dir, "reader0@example.com"); got != "active" {
		t.Errorf("reader0 (never mailed) = %s; want active", got)
	}
	r := dispatch(t, e.dir, "bounces", "unattributed", "--json")
	var reports []struct{ Source, Reason string }
	if err := json.Unmarshal([]byte(r.stdout), &reports); err != nil || len(reports) != 1 ||
		reports[0].Source != "webhook:postmark" || !strings.Contains(reports[0].Reason, "not sent a message within 14 days") {
		t.Errorf("unattributed reports = %+v, %v\n%s", reports, err, r.stdout)
	}
}

// TestEndToEndUnattributedNeedsADatabase: listing reports never creates a
// database.
func TestEndToEndUnattributedNeedsADatabase(t *testing.T) {
	dir := t.TempDir()
	r := dispatch(t, dir, "bounces", "unattributed")
	if r.code != 1 || !strings.Contains(r.stderr, "no database at") {
		t.Errorf("exit %d, stderr %q; want 1 and no database", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "dispatch.db")); err == nil {
		t.Error("bounces unattributed created a database")
	}
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/mtatest"
)

// These tests send through Debian's real Postfix and read bounces back
// through its Maildir and Dovecot's IMAP, all on 127.0.0.1 under the
// test's own folders (internal/mtatest). .ci/test installs both packages.

// mtaEnv is a dispatch folder whose relay is the test's Postfix.
type mtaEnv struct {
	dir  string
	cfg  string
	m    *mtatest.MTA
	base string // the smtp section
}

func newMTAEnv(t *testing.T, m *mtatest.MTA, smtp string, locals ...string) *mtaEnv {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := &mtaEnv{dir: dir, m: m, base: fmt.Sprintf(`%s
sending:
  rate: 0
  concurrency: 2
  retry_backoff: 1s
  max_attempts: 20
sender:
  from: "Briefing <briefing@example.test>"
  bounce_address: bounces@example.test
  postal_address: "1 Test Street, Testville"
web:
  base_url: http://%[2]s
  listen: %[2]s
  secret: mta-e2e-Zq8vN3kL1pX7rT5wY2mB9cD4
`, smtp, addr)}
	e.cfg = filepath.Join(dir, "dispatch.yaml")
	e.writeConfig(t, "")
	var b strings.Builder
	b.WriteString("email,name\n")
	for _, l := range locals {
		fmt.Fprintf(&b, "%s@example.test,Reader %s\n", l, l)
	}
	csv := filepath.Join(dir, "clients.csv")
	os.WriteFile(csv, []byte(b.String()), 0o600)
	if r := dispatch(t, dir, "import", csv, "--list", "clients"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	return e
}

func (e *mtaEnv) writeConfig(t *testing.T, extra string) {
	t.Helper()
	if err := os.WriteFile(e.cfg, []byte(e.base+extra), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (e *mtaEnv) status(t *testing.T, local string) string {
	t.Helper()
	r := dispatch(t, e.dir, "subscribers", "show", local+"@example.test", "--json")
	var s struct{ Status string }
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("subscribers show %s: %v %s", local, err, r.stderr)
	}
	return s.Status
}

func (e *mtaEnv) campaign(t *testing.T, id int64) campaignShow {
	t.Helper()
	r := dispatch(t, e.dir, "campaigns", "show", fmt.Sprint(id), "--json")
	var c campaignShow
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("campaigns show: %v %s %s", err, r.stdout, r.stderr)
	}
	return c
}

type campaignShow struct {
	ID          int64
	Status      string
	PauseReason string `json:"pause_reason"`
	Recipients  int
	Sent        int
	Failed      int
	Deferred    int
	HardBounces int `json:"hard_bounces"`
	SoftBounces int `json:"soft_bounces"`
}

// serveUntil runs `dispatch serve` (which polls the IMAP bounce mailbox)
// until done reports true, then stops it.
func (e *mtaEnv) serveUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	serve := exec.Command(dispatchBin, "serve")
	serve.Dir, serve.Env = e.dir, cleanEnv()
	var logs bytes.Buffer
	serve.Stdout, serve.Stderr = &logs, &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not %s within 30s:\n%s\ndovecot:\n%s", what, logs.String(), e.m.DovecotLog())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func readHeader(t *testing.T, path string) textproto.MIMEHeader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := textproto.NewReader(bufio.NewReader(f)).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return h
}

// TestMTACampaign sends a campaign through Postfix to local mailboxes:
// two exist, one is refused at RCPT (550 5.1.1), and three are accepted
// and then bounced by Postfix with real DSNs (user unknown, mailbox full,
// a delay and then an expiry). The DSNs come back to the VERP address,
// land in a Maildir, and are applied by `bounces process` and by the IMAP
// poller of `dispatch serve` against Dovecot, plain and STARTTLS; each is
// attributed to its delivery, and applying them again changes nothing.
func TestMTACampaign(t *testing.T) {
	t.Parallel()
	// slow@ never expires on its own during the test: its expiry DSN is
	// released by m.Expire just before the step that must apply it, so it
	// cannot land early and be applied by `bounces process` instead (a
	// loaded machine easily takes longer than any fixed lifetime).
	m := mtatest.Start(t, mtatest.Config{Mailboxes: []string{"alice", "bob"}, DelayWarning: 8 * time.Second, QueueLifetime: time.Hour})
	e := newMTAEnv(t, m, fmt.Sprintf("smtp:\n  host: 127.0.0.1\n  port: %d\n  tls: none", m.Port),
		"alice", "bob", "nobody", "gone", "full", "slow")

	r := dispatch(t, e.dir, "send", exampleIssue(t), "--list", "clients", "--yes", "--json")
	if r.code != 0 {
		t.Fatalf("send: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var rep struct {
		Campaign                          int64
		Recipients, Sent, Failed, Bounced int
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Recipients != 6 || rep.Sent != 5 || rep.Failed != 1 || rep.Bounced != 1 {
		t.Errorf("send = %+v; want 6 recipients, 5 accepted by Postfix, 1 refused at RCPT and bounced", rep)
	}
	if got := e.status(t, "nobody"); got != "bounced" {
		t.Errorf("nobody (550 5.1.1 at RCPT) is %s; want bounced", got)
	}

	// What arrived carries the headers we promise, and came from the VERP
	// envelope sender.
	for _, local := range []string{"alice", "bob"} {
		files := m.WaitMessages(t, local, 1, 30*time.Second)
		h := readHeader(t, files[0])
		if rp := h.Get("Return-Path"); !strings.HasPrefix(rp, "<bounces+") || !strings.HasSuffix(rp, "@example.test>") {
			t.Errorf("%s: Return-Path %q; want the VERP address bounces+TOKEN@example.test", local, rp)
		}
		for _, k := range []string{"List-Unsubscribe", "List-Id", "Message-Id", "Feedback-Id", "X-Dispatch-Delivery", "Date", "Subject"} {
			if h.Get(k) == "" {
				t.Errorf("%s: no %s header", local, k)
			}
		}
		if got := h.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
			t.Errorf("%s: List-Unsubscribe-Post %q", local, got)
		}
		if got := h.Get("Delivered-To"); got != local+"@example.test" {
			t.Errorf("%s: Delivered-To %q", local, got)
		}
	}

	// gone's and full's DSNs and slow's delay notice.
	bounces := m.Mailbox("bounces")
	m.WaitMessages(t, "bounces", 3, 60*time.Second)
	type processed struct {
		Messages, Bounces, Delays, Duplicates, Unattributed, Errors int
		Outcomes                                                    []struct {
			Type       string
			Duplicate  bool
			Recipients []struct {
				Address, Kind, Status, Attribution string
				DeliveryID                         int64 `json:"delivery_id"`
				CampaignID                         int64 `json:"campaign_id"`
			}
		}
	}
	r = dispatch(t, e.dir, "bounces", "process", "--maildir", bounces, "--json")
	var p processed
	if err := json.Unmarshal([]byte(r.stdout), &p); err != nil || r.code != 0 {
		t.Fatalf("bounces process: exit %d %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if p.Messages != 3 || p.Bounces != 2 || p.Delays != 1 || p.Unattributed != 0 || p.Errors != 0 {
		t.Errorf("bounces process = %+v; want 3 messages: 2 bounces and 1 delay, all attributed", p)
	}
	kinds := map[string]string{}
	for _, o := range p.Outcomes {
		for _, rc := range o.Recipients {
			if rc.Attribution != "verp" || rc.DeliveryID == 0 || rc.CampaignID != rep.Campaign {
				t.Errorf("%s: attributed by %q to delivery %d of campaign %d; want by VERP to a delivery of campaign %d",
					rc.Address, rc.Attribution, rc.DeliveryID, rc.CampaignID, rep.Campaign)
			}
			kinds[rc.Address] = rc.Kind + " " + rc.Status
		}
	}
	if kinds[mtatest.Gone] != "hard 5.1.1" || !strings.HasPrefix(kinds[mtatest.Full], "soft 5.2.") {
		t.Errorf("DSN verdicts %v; want gone hard 5.1.1 and full soft 5.2.x", kinds)
	}
	if got := e.status(t, "gone"); got != "bounced" {
		t.Errorf("gone is %s after its 5.1.1 DSN; want bounced", got)
	}
	for _, l := range []string{"full", "slow", "alice", "bob"} {
		if got := e.status(t, l); got != "active" {
			t.Errorf("%s is %s; want active (one soft bounce or a delay suppresses no one)", l, got)
		}
	}
	// Again: nothing new.
	r = dispatch(t, e.dir, "bounces", "process", "--maildir", bounces, "--json")
	p = processed{}
	json.Unmarshal([]byte(r.stdout), &p)
	if p.Duplicates < 2 || p.Bounces != 0 || p.Errors != 0 {
		t.Errorf("processing the Maildir again = %+v; want the 2 bounces as duplicates and nothing applied (a delay never changes anything)", p)
	}
	before := e.campaign(t, rep.Campaign)

	// The IMAP poller over a plain session sees the same three messages
	// unseen, finds them already applied, and marks them seen.
	e.writeConfig(t, fmt.Sprintf("bounces:\n  imap:\n    host: 127.0.0.1\n    port: %d\n    tls: none\n    username: %s\n    password: %s\n    interval: 1s\n",
		m.IMAPPort, mtatest.Bounces, mtatest.Password))
	e.serveUntil(t, "mark the DSNs seen over plain IMAP", func() bool {
		seen, _ := filepath.Glob(filepath.Join(bounces, "cur", "*,S*"))
		return len(seen) >= 3
	})
	if after := e.campaign(t, rep.Campaign); after.HardBounces != before.HardBounces || after.SoftBounces != before.SoftBounces {
		t.Errorf("IMAP reprocessing changed the bounce counts: %+v → %+v", before, after)
	}

	// slow's expiry DSN, read over STARTTLS. Until now the Maildir held
	// exactly the three messages above, whatever the machine's speed.
	if got := len(m.Messages("bounces")); got != 3 {
		t.Fatalf("bounce mailbox has %d messages before slow@ expires; want 3", got)
	}
	m.Expire(t)
	m.WaitMessages(t, "bounces", 4, 90*time.Second)
	e.writeConfig(t, fmt.Sprintf("bounces:\n  imap:\n    host: 127.0.0.1\n    port: %d\n    tls: starttls\n    tls_skip_verify: true\n    username: %s\n    password: %s\n    interval: 1s\n",
		m.IMAPPort, mtatest.Bounces, mtatest.Password))
	e.serveUntil(t, "apply the expiry DSN over STARTTLS", func() bool {
		return e.campaign(t, rep.Campaign).SoftBounces == before.SoftBounces+1
	})
	if got := e.status(t, "slow"); got != "active" {
		t.Errorf("slow is %s after one expired delivery; want active (a soft bounce)", got)
	}
}

// TestMTASubmission sends over Postfix's submission port: STARTTLS with a
// verified session, AUTH through Dovecot SASL, and one recipient answered
// 450 until the relay lifts it mid-run; the run retries and delivers.
func TestMTASubmission(t *testing.T) {
	t.Parallel()
	m := mtatest.Start(t, mtatest.Config{Mailboxes: []string{"alice"}})
	smtp := fmt.Sprintf("smtp:\n  host: 127.0.0.1\n  port: %d\n  tls: starttls\n  tls_skip_verify: true\n  username: %s\n  password: %s",
		m.SubmissionPort, mtatest.Login, mtatest.Password)
	e := newMTAEnv(t, m, smtp, "alice", "later")
	send := exec.Command(dispatchBin, "send", exampleIssue(t), "--list", "clients", "--yes", "--json")
	send.Dir, send.Env = e.dir, cleanEnv()
	var out, errb bytes.Buffer
	send.Stdout, send.Stderr = &out, &errb
	if err := send.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(m.PostfixLog(), "450 4.2.0 <later@example.test>") {
		if time.Now().After(deadline) {
			send.Process.Kill()
			t.Fatalf("no 450 for later@ within 30s:\n%s", m.PostfixLog())
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Lift(t)
	if err := send.Wait(); err != nil {
		t.Fatalf("send: %v\n%s\n%s", err, out.String(), errb.String())
	}
	var rep struct{ Sent, Failed, Deferred int }
	json.Unmarshal(out.Bytes(), &rep)
	if rep.Sent != 2 || rep.Failed != 0 {
		t.Errorf("send = %+v; want both delivered, the 450 retried", rep)
	}
	for _, local := range []string{"alice", "later"} {
		files := m.WaitMessages(t, local, 1, 30*time.Second)
		data, _ := os.ReadFile(files[0])
		// Postfix records an encrypted (S), authenticated (A) submission as
		// ESMTPSA, or UTF8SMTPSA when SMTPUTF8 was asked for.
		if !bytes.Contains(data, []byte("SMTPSA id")) {
			t.Errorf("%s: no ESMTPSA Received line; want STARTTLS and AUTH:\n%s", local, data[:min(len(data), 800)])
		}
	}
}

// TestMTASenderRefused sends through the standard submission setup whose
// login does not own the VERP envelope sender. Postfix answers every RCPT
// 553 5.7.1 "Sender address rejected: not owned by user": everyone stays
// active, and the campaign pauses with that reply instead of finishing.
func TestMTASenderRefused(t *testing.T) {
	t.Parallel()
	m := mtatest.Start(t, mtatest.Config{Mailboxes: []string{"alice", "bob", "carol", "dave"}})
	smtp := fmt.Sprintf("smtp:\n  host: 127.0.0.1\n  port: %d\n  tls: starttls\n  tls_skip_verify: true\n  username: %s\n  password: %s",
		m.StrictPort, mtatest.Login, mtatest.Password)
	e := newMTAEnv(t, m, smtp, "alice", "bob", "carol", "dave")
	r := dispatch(t, e.dir, "send", exampleIssue(t), "--list", "clients", "--yes", "--json")
	if r.code == 0 {
		t.Errorf("send exit 0; want non-zero for a paused campaign\n%s", r.stdout)
	}
	if !strings.Contains(m.PostfixLog(), "Sender address rejected: not owned by user "+mtatest.Login) {
		t.Fatalf("Postfix did not refuse the sender:\n%s", m.PostfixLog())
	}
	for _, l := range []string{"alice", "bob", "carol", "dave"} {
		if got := e.status(t, l); got != "active" {
			t.Errorf("%s is %s; want active: the relay refused our sender, not the recipient", l, got)
		}
	}
	var rep struct {
		Campaign    int64
		Status      string
		PauseReason string `json:"pause_reason"`
	}
	json.Unmarshal([]byte(r.stdout), &rep)
	if rep.Status != "paused" || !strings.Contains(rep.PauseReason, "Sender address rejected") {
		t.Errorf("campaign %+v; want paused with the relay's reply as the reason", rep)
	}
}

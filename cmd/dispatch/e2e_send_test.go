package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// sendEnv is a working directory with a dispatch.yaml pointing at a real
// SMTP server on 127.0.0.1, and n imported subscribers.
type sendEnv struct {
	dir   string
	srv   *smtptest.Server
	issue string
}

func newSendEnv(t *testing.T, n int, extra string, opts ...smtptest.Option) *sendEnv {
	t.Helper()
	dir := t.TempDir()
	srv := smtptest.NewServer(t, opts...)
	cfg := fmt.Sprintf(`smtp:
  host: 127.0.0.1
  port: %d
  tls: none
sending:
  rate: 0
  concurrency: 2
  retry_backoff: 50ms
sender:
  from: "Briefing <briefing@example.com>"
  bounce_address: bounces@example.com
  postal_address: "1 Test Street, Testville"
web:
  base_url: http://127.0.0.1:8080
  secret: 4f98a5bbed994dbc2fdb8471b8d4c81a2bdd91f225ab54c1a49808f5db1ba8c2
%s`, srv.Port(), extra)
	if err := os.WriteFile(filepath.Join(dir, "dispatch.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("email,first name,last name,company\n")
	for i := range n {
		fmt.Fprintf(&b, "reader%d@example.com,Reader,No%d,Company %d\n", i, i, i%7)
	}
	csvPath := filepath.Join(dir, "clients.csv")
	os.WriteFile(csvPath, []byte(b.String()), 0o600)
	if r := dispatch(t, dir, "import", csvPath, "--list", "clients"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	issue, _ := filepath.Abs(filepath.Join("..", "..", "examples", "issue.md"))
	return &sendEnv{dir: dir, srv: srv, issue: issue}
}

type campaignOut struct {
	ID                 int64
	Status             string
	Recipients         int
	Sent               int
	Failed             int
	Skipped            int
	Bounced            int
	Unsubscribed       int
	PossibleDuplicates int `json:"possible_duplicates"`
}

func campaignsJSON(t *testing.T, dir string) []campaignOut {
	t.Helper()
	r := dispatch(t, dir, "campaigns", "--json")
	var cs []campaignOut
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		t.Fatalf("campaigns --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	return cs
}

func TestEndToEndSendReportAndResumeIsANoop(t *testing.T) {
	e := newSendEnv(t, 25, "")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if r.code != 0 {
		t.Fatalf("send exit %d: %s", r.code, r.stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("send --json: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"campaign", "recipients", "sent", "deferred", "failed", "bounced", "skipped"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("send --json lacks %q: %s", k, r.stdout)
		}
	}
	if rep["sent"] != float64(25) || rep["recipients"] != float64(25) {
		t.Errorf("report = %s; want 25 of 25 sent", r.stdout)
	}
	// The relay's round trip, timed on EHLO, in the report and the
	// progress output.
	if rtt, ok := rep["relay_rtt_ms"].(float64); !ok || rtt <= 0 {
		t.Errorf("relay_rtt_ms = %v; want the round trip in ms: %s", rep["relay_rtt_ms"], r.stdout)
	}
	if !strings.Contains(r.stderr, "relay round trip ") {
		t.Errorf("progress output does not give the relay's round trip:\n%s", r.stderr)
	}
	if n := len(e.srv.Messages()); n != 25 {
		t.Errorf("server got %d messages; want 25", n)
	}
	// The same command again resumes the finished campaign: nobody is mailed twice.
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 0 || !strings.Contains(r.stderr, "already finished") {
		t.Errorf("second send: %d %s", r.code, r.stderr)
	}
	if n := len(e.srv.Messages()); n != 25 {
		t.Errorf("server got %d messages after the second send; want still 25", n)
	}
	cs := campaignsJSON(t, e.dir)
	if len(cs) != 1 || cs[0].Status != "finished" || cs[0].Sent != 25 {
		t.Errorf("campaigns = %+v", cs)
	}
	// --new sends a fresh campaign explicitly.
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--new")
	if r.code != 0 || len(e.srv.Messages()) != 50 || len(campaignsJSON(t, e.dir)) != 2 {
		t.Errorf("send --new: exit %d, %d messages: %s", r.code, len(e.srv.Messages()), r.stderr)
	}
}

func TestEndToEndDryRunAndTestCopy(t *testing.T) {
	e := newSendEnv(t, 5, "")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "recipients  5") || !strings.Contains(r.stdout, "Dry run") {
		t.Errorf("dry run: %d %s %s", r.code, r.stdout, r.stderr)
	}
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--to", "editor@example.org")
	if r.code != 0 {
		t.Fatalf("test copy: %d %s", r.code, r.stderr)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "editor@example.org" || !strings.Contains(string(msgs[0].Data), "Subject: =?UTF-8?q?[Test]") {
		t.Errorf("test copy: %d messages %v", len(msgs), msgs)
	}
	if cs := campaignsJSON(t, e.dir); len(cs) != 0 {
		t.Errorf("dry run or test copy created campaigns: %+v", cs)
	}
	// Without --yes and without a terminal, send refuses.
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients")
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("send without --yes: %d %s", r.code, r.stderr)
	}
	// A broken issue is refused with file and line.
	bad := filepath.Join(e.dir, "bad.md")
	os.WriteFile(bad, []byte("---\nsubject: Hi\n---\n# T\n\nHello {{ .Nmae }}\n"), 0o600)
	r = dispatch(t, e.dir, "send", bad, "--list", "clients", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "bad.md:6") || !strings.Contains(r.stderr, "Nmae") {
		t.Errorf("broken issue: %d %s", r.code, r.stderr)
	}
	if len(e.srv.Messages()) != 1 {
		t.Errorf("messages sent despite errors")
	}
}

// TestEndToEndKillAndResume kills the real binary with SIGKILL in the
// middle of a campaign; the next run sends everything still owed, and the
// only duplicates are the messages that were in flight, at most one per
// connection, and they are reported.
func TestEndToEndKillAndResume(t *testing.T) {
	const n = 150
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	e.srv.SetDelay(10 * time.Millisecond)
	cmd := exec.Command(dispatchBin, "send", e.issue, "--list", "clients", "--yes")
	cmd.Dir = e.dir
	cmd.Env = cleanEnv()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 40); err != nil {
		cmd.Process.Kill()
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	before := len(e.srv.Messages())
	if before >= n {
		t.Fatalf("the campaign finished (%d messages) before it could be killed", before)
	}
	e.srv.SetDelay(0)
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if r.code != 0 {
		t.Fatalf("resume: %d %s", r.code, r.stderr)
	}
	counts := map[string]int{}
	for _, m := range e.srv.Messages() {
		counts[m.To[0]]++
	}
	dups := 0
	for _, c := range counts {
		dups += c - 1
	}
	if len(counts) != n {
		t.Errorf("%d recipients reached; want all %d", len(counts), n)
	}
	cs := campaignsJSON(t, e.dir)
	if len(cs) != 1 || cs[0].Sent != n || cs[0].Status != "finished" {
		t.Fatalf("campaign after resume: %+v", cs)
	}
	if dups > 2 || dups > cs[0].PossibleDuplicates {
		t.Errorf("%d duplicates, %d reported; want at most 2 (sending.concurrency) and all reported", dups, cs[0].PossibleDuplicates)
	}
	if cs[0].PossibleDuplicates > 2 {
		t.Errorf("%d reported in flight; at most one per connection (2)", cs[0].PossibleDuplicates)
	}
	if dups > 0 && !strings.Contains(r.stderr, "may arrive twice") {
		t.Errorf("duplicates not reported to the user: %s", r.stderr)
	}
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DISPATCH_") {
			env = append(env, kv)
		}
	}
	// Every `dispatch serve` of the tests runs the console too: give it a
	// free port so tests running in parallel do not collide on 8081.
	return append(env, "DISPATCH_ADMIN_LISTEN=127.0.0.1:0")
}

// TestEndToEndInterruptIsClean sends SIGINT: the run stops cleanly, says how
// to resume, and resuming completes without any duplicate.
func TestEndToEndInterruptIsClean(t *testing.T) {
	const n = 100
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	e.srv.SetDelay(10 * time.Millisecond)
	cmd := exec.Command(dispatchBin, "send", e.issue, "--list", "clients", "--yes")
	cmd.Dir, cmd.Env = e.dir, cleanEnv()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e.srv.WaitMessages(ctx, 20)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Errorf("interrupted send exit = %v; want 130", err)
	}
	if !strings.Contains(stderr.String(), "Run the same command again to resume") {
		t.Errorf("no resume hint: %s", stderr.String())
	}
	e.srv.SetDelay(0)
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("resume: %s", r.stderr)
	}
	counts := map[string]int{}
	for _, m := range e.srv.Messages() {
		counts[m.To[0]]++
	}
	for to, c := range counts {
		if c != 1 {
			t.Errorf("%s got %d messages after a clean interrupt", to, c)
		}
	}
	if len(counts) != n {
		t.Errorf("%d recipients; want %d", len(counts), n)
	}
}

var unsubRE = regexp.MustCompile(`List-Unsubscribe: <([^>]+)>`)

// TestEndToEndUnsubscribe follows the links in real messages against the
// real `dispatch serve`: one-click, then the human confirm flow; the next
// send skips both people.
func TestEndToEndUnsubscribe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newSendEnv(t, 3, "")
	cfgPath := filepath.Join(e.dir, "dispatch.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	cfg = []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080", "base_url: http://"+addr+"\n  listen: "+addr, 1))
	os.WriteFile(cfgPath, cfg, 0o600)

	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	links := map[string]string{}
	for _, m := range e.srv.Messages() {
		match := unsubRE.FindSubmatch(m.Data)
		if match == nil {
			t.Fatalf("message to %s has no List-Unsubscribe", m.To[0])
		}
		links[m.To[0]] = string(match[1])
	}

	startServe(t, e.dir, addr)

	// RFC 8058 one-click, as a mailbox provider sends it.
	one := links["reader0@example.com"]
	resp, err := http.Post(one, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) != 0 {
		t.Errorf("one-click: %d, cookies %v; want 200 and none", resp.StatusCode, resp.Cookies())
	}

	// A person: the GET shows a page and changes nothing; the POST unsubscribes.
	two := links["reader1@example.com"]
	resp, err = http.Get(two)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "<form") {
		t.Errorf("confirm page: %d", resp.StatusCode)
	}
	if status(t, e.dir, "reader1@example.com") != "active" {
		t.Fatal("GET changed the subscription")
	}
	resp, err = http.PostForm(two, url.Values{"scope": {"all"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("human unsubscribe: %d", resp.StatusCode)
	}
	if got := status(t, e.dir, "reader1@example.com"); got != "unsubscribed" {
		t.Errorf("reader1 status = %s; want unsubscribed", got)
	}
	cs := campaignsJSON(t, e.dir)
	if cs[0].Unsubscribed != 2 {
		t.Errorf("campaign unsubscribed since = %d; want 2", cs[0].Unsubscribed)
	}

	// The next campaign mails only the one who stayed.
	before := len(e.srv.Messages())
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--new"); r.code != 0 {
		t.Fatalf("second send: %s", r.stderr)
	}
	after := e.srv.Messages()[before:]
	if len(after) != 1 || after[0].To[0] != "reader2@example.com" {
		var to []string
		for _, m := range after {
			to = append(to, m.To[0])
		}
		t.Errorf("second campaign mailed %v; want only reader2", to)
	}
}

func status(t *testing.T, dir, email string) string {
	t.Helper()
	r := dispatch(t, dir, "subscribers", "show", email, "--json")
	var s struct {
		Status string
		Lists  []string
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("show %s: %v %s", email, err, r.stderr)
	}
	if s.Status == "active" && len(s.Lists) == 0 {
		return "unsubscribed-from-list"
	}
	return s.Status
}

func waitHTTP(t testing.TB, u string) {
	t.Helper()
	// Generous: a serve opening a 1 GB database on a loaded machine has
	// taken over 15 s to listen. Only a failure waits this long.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not come up", u)
}

// TestEndToEndWebhook checks the configuration reaches the webhook
// endpoint: a Postmark hard bounce with the shared token suppresses the
// subscriber, one without it is refused.
func TestEndToEndWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newSendEnv(t, 2, "webhooks:\n  postmark:\n    token: hook-token-123\n")
	// The bounce names an address only, so it counts only for an address
	// that was mailed recently.
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	cfgPath := filepath.Join(e.dir, "dispatch.yaml")
	cfg, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(cfg), "base_url: http://127.0.0.1:8080", "base_url: http://"+addr+"\n  listen: "+addr, 1)), 0o600)
	startServe(t, e.dir, addr)
	body := `{"RecordType":"Bounce","ID":4323372036854775807,"Type":"HardBounce","TypeCode":1,"Name":"Hard bounce",
		"MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).",
		"Details":"smtp;550 5.1.1 The email account that you tried to reach does not exist.","Email":"reader1@example.com",
		"From":"briefing@example.com","BouncedAt":"2026-11-29T10:00:00Z","Inactive":true,"CanActivate":true,"Subject":"Weekly"}`
	post := func(token string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/webhooks/postmark", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("X-Webhook-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong"); code != 401 {
		t.Errorf("wrong token: %d; want 401", code)
	}
	if got := status(t, e.dir, "reader1@example.com"); got != "active" {
		t.Fatalf("refused webhook changed the subscriber: %s", got)
	}
	if code := post("hook-token-123"); code/100 != 2 {
		t.Errorf("good token: %d; want 2xx", code)
	}
	if got := status(t, e.dir, "reader1@example.com"); got != "bounced" {
		t.Errorf("after a hard-bounce webhook: %s; want bounced", got)
	}
	if got := status(t, e.dir, "reader0@example.com"); got != "active" {
		t.Errorf("another subscriber changed: %s", got)
	}
}

var mailtoRE = regexp.MustCompile(`<mailto:([^?>]+)\?subject=unsubscribe>`)

// TestEndToEndBouncesProcess returns real messages as a remote MTA would:
// a DSN to the VERP address, and a mail to the List-Unsubscribe mailto.
func TestEndToEndBouncesProcess(t *testing.T) {
	e := newSendEnv(t, 3, "")
	if r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("send: %s", r.stderr)
	}
	byTo := map[string]smtptest.Message{}
	for _, m := range e.srv.Messages() {
		byTo[m.To[0]] = m
	}
	gone := byTo["reader0@example.com"]
	if !strings.HasPrefix(gone.From, "bounces+") {
		t.Fatalf("envelope sender %q is not VERP", gone.From)
	}
	dsn := fmt.Sprintf("Return-Path: <>\r\nDelivered-To: %s\r\nFrom: MAILER-DAEMON@mx.example.com\r\nTo: %s\r\n"+
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.example.com>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"+
		"Final-Recipient: rfc822; reader0@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n"+
		"Diagnostic-Code: smtp; 550 5.1.1 <reader0@example.com>: Recipient address rejected: User unknown in virtual mailbox table\r\n"+
		"--B--\r\n", gone.From, gone.From)
	mailto := mailtoRE.FindSubmatch(byTo["reader1@example.com"].Data)
	if mailto == nil {
		t.Fatal("no mailto in List-Unsubscribe")
	}
	unsub := fmt.Sprintf("From: Reader One <reader1@example.com>\r\nTo: %s\r\nSubject: unsubscribe\r\n"+
		"Message-ID: <u-1@example.com>\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\n\r\nunsubscribe\r\n", mailto[1])
	os.WriteFile(filepath.Join(e.dir, "dsn.eml"), []byte(dsn), 0o600)
	os.WriteFile(filepath.Join(e.dir, "unsub.eml"), []byte(unsub), 0o600)

	r := dispatch(t, e.dir, "bounces", "process", "dsn.eml", "unsub.eml", "--json")
	if r.code != 0 {
		t.Fatalf("process: %d %s %s", r.code, r.stdout, r.stderr)
	}
	var sum struct {
		Messages, Bounces, Unsubscribes, Duplicates int
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Messages != 2 || sum.Bounces != 1 || sum.Unsubscribes != 1 {
		t.Fatalf("summary %+v %v\n%s", sum, err, r.stdout)
	}
	if got := status(t, e.dir, "reader0@example.com"); got != "bounced" {
		t.Errorf("reader0 = %s; want bounced", got)
	}
	if got := status(t, e.dir, "reader1@example.com"); got != "unsubscribed-from-list" {
		t.Errorf("reader1 = %s; want unsubscribed from the list", got)
	}
	if got := status(t, e.dir, "reader2@example.com"); got != "active" {
		t.Errorf("reader2 = %s; want untouched", got)
	}
	cs := campaignsJSON(t, e.dir)
	if cs[0].Bounced != 1 || cs[0].Unsubscribed != 1 {
		t.Errorf("campaign report %+v; want 1 bounced, 1 unsubscribed", cs[0])
	}
	// Processing the same mail again changes nothing.
	r = dispatch(t, e.dir, "bounces", "process", "dsn.eml", "unsub.eml", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Duplicates != 2 || sum.Bounces != 0 {
		t.Errorf("second pass: %+v %v", sum, err)
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Bounced != 1 {
		t.Errorf("second pass counted another bounce: %+v", cs[0])
	}
}

// TestEndToEndEditedIssueAfterFinishIsRefused: an issue edited after its
// campaign finished is not sent by the same command, and the command says
// so and fails instead of exiting 0; --new sends the edited version.
func TestEndToEndEditedIssueAfterFinishIsRefused(t *testing.T) {
	e := newSendEnv(t, 3, "")
	src, err := os.ReadFile(e.issue)
	if err != nil {
		t.Fatal(err)
	}
	issue := filepath.Join(e.dir, "issue.md")
	os.WriteFile(issue, src, 0o600)
	if r := dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes"); r.code != 0 {
		t.Fatalf("first send: %d %s", r.code, r.stderr)
	}
	// The same issue again is a safe no-op.
	if r := dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes"); r.code != 0 || !strings.Contains(r.stderr, "already finished") {
		t.Errorf("unchanged issue again: exit %d %s; want 0 and already finished", r.code, r.stderr)
	}
	os.WriteFile(issue, append(src, []byte("\nA correction: the patch is 7.4.3.\n")...), 0o600)
	for _, args := range [][]string{{}, {"--json"}} {
		r := dispatch(t, e.dir, append([]string{"send", issue, "--list", "clients", "--yes"}, args...)...)
		if r.code == 0 {
			t.Errorf("edited issue %v: exit 0; want a failure", args)
		}
		for _, want := range []string{"edited", "NOT sent", "--new"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("edited issue %v: stderr lacks %q: %s", args, want, r.stderr)
			}
		}
	}
	if n := len(e.srv.Messages()); n != 3 {
		t.Fatalf("%d messages after the refused sends; want still 3", n)
	}
	r := dispatch(t, e.dir, "send", issue, "--list", "clients", "--yes", "--new")
	if r.code != 0 {
		t.Fatalf("send --new: %d %s", r.code, r.stderr)
	}
	msgs := e.srv.Messages()
	if len(msgs) != 6 || !strings.Contains(string(msgs[5].Data), "correction") {
		t.Errorf("send --new: %d messages; want 6, the last with the edit", len(msgs))
	}
}

// setConfig replaces old with new in the environment's dispatch.yaml.
func (e *sendEnv) setConfig(t *testing.T, old, new string) {
	t.Helper()
	p := filepath.Join(e.dir, "dispatch.yaml")
	cfg, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(cfg), old) {
		t.Fatalf("dispatch.yaml lacks %q (%v)", old, err)
	}
	os.WriteFile(p, []byte(strings.Replace(string(cfg), old, new, 1)), 0o600)
}

// startSend runs `send --yes --json` in the background.
func (e *sendEnv) startSend(t *testing.T) (wait func() result) {
	t.Helper()
	cmd := exec.Command(dispatchBin, "send", e.issue, "--list", "clients", "--yes", "--json")
	cmd.Dir, cmd.Env = e.dir, cleanEnv()
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return func() result {
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{out.String(), errb.String(), code}
	}
}

type sendJSON struct {
	Status             string
	Sent, Failed       int
	Recipients         int
	PauseReason        string  `json:"pause_reason"`
	PossibleDuplicates int     `json:"possible_duplicates"`
	RelayDownSeconds   float64 `json:"relay_down_seconds"`
	RelayOutages       int     `json:"relay_outages"`
}

func parseSend(t *testing.T, r result) sendJSON {
	t.Helper()
	var s sendJSON
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("send --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	return s
}

// TestEndToEndRelayOutageLosesNobody is issue 8's outage, shortened: the
// relay goes down in the middle of a send for longer than every retry of
// a recipient takes (retry_backoff 100ms × max_attempts 3), then comes
// back. The run waits, says so, and finishes with everyone sent.
func TestEndToEndRelayOutageLosesNobody(t *testing.T) {
	const n = 200
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	e.setConfig(t, "  retry_backoff: 50ms\n", "  retry_backoff: 100ms\n  max_attempts: 3\n")
	e.srv.SetDelay(5 * time.Millisecond)
	wait := e.startSend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 50); err != nil {
		t.Fatal(err)
	}
	e.srv.Down()
	time.Sleep(2 * time.Second)
	if err := e.srv.Up(); err != nil {
		t.Fatal(err)
	}
	r := wait()
	rep := parseSend(t, r)
	if r.code != 0 || rep.Status != "finished" || rep.Sent != n || rep.Failed != 0 {
		t.Fatalf("send after an outage: exit %d, %+v; want 0, finished, %d sent, none failed\n%s", r.code, rep, n, r.stderr)
	}
	if rep.RelayOutages != 1 || rep.RelayDownSeconds <= 0 {
		t.Errorf("report says %d outages, %.1fs down; want 1 and some time", rep.RelayOutages, rep.RelayDownSeconds)
	}
	if !strings.Contains(r.stderr, "waiting for the SMTP relay") || !strings.Contains(r.stderr, "reachable again") {
		t.Errorf("the run did not show it was waiting for the relay:\n%s", r.stderr)
	}
	counts := map[string]int{}
	dups := 0
	for _, m := range e.srv.Messages() {
		if counts[m.To[0]]++; counts[m.To[0]] > 1 {
			dups++
		}
	}
	if len(counts) != n || dups > rep.PossibleDuplicates {
		t.Errorf("%d recipients reached, %d duplicates, %d reported; want %d reached and every duplicate reported",
			len(counts), dups, rep.PossibleDuplicates, n)
	}
}

// TestEndToEndRelayDownPausesTheCampaign: a relay that stays down past
// sending.relay_down_pause pauses the campaign, with the reason and a
// non-zero exit; nobody failed, and once the relay is back the same
// command sends the rest.
func TestEndToEndRelayDownPausesTheCampaign(t *testing.T) {
	const n = 100
	e := newSendEnv(t, n, "", smtptest.DiscardBodies())
	e.setConfig(t, "  retry_backoff: 50ms\n", "  retry_backoff: 50ms\n  max_attempts: 2\n  relay_down_pause: 1s\n")
	e.srv.SetDelay(5 * time.Millisecond)
	wait := e.startSend(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := e.srv.WaitMessages(ctx, 20); err != nil {
		t.Fatal(err)
	}
	e.srv.Down()
	r := wait()
	rep := parseSend(t, r)
	if r.code == 0 || rep.Status != "paused" || !strings.Contains(rep.PauseReason, "relay_down_pause") {
		t.Fatalf("send with the relay down: exit %d, %+v; want non-zero and paused for the relay\n%s", r.code, rep, r.stderr)
	}
	if !strings.Contains(r.stderr, "paused") || !strings.Contains(r.stderr, "run the same command to resume") {
		t.Errorf("stderr does not give the reason and what to do:\n%s", r.stderr)
	}
	if rep.Failed != 0 || rep.Sent >= n {
		t.Errorf("report = %+v; want none failed and some still owed", rep)
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Status != "paused" {
		t.Errorf("campaigns says %s; want paused", cs[0].Status)
	}

	if err := e.srv.Up(); err != nil {
		t.Fatal(err)
	}
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if rep := parseSend(t, r); r.code != 0 || rep.Status != "finished" || rep.Sent != n || rep.Failed != 0 {
		t.Errorf("resume: exit %d %+v\n%s", r.code, rep, r.stderr)
	}
}

// TestEndToEndFailedAndRetry: `campaigns show ID --failed` lists who
// failed and why; `campaigns retry ID` queues again only the temporary
// failures, says what it left, and the next send mails only them.
func TestEndToEndFailedAndRetry(t *testing.T) {
	e := newSendEnv(t, 8, "")
	e.setConfig(t, "  retry_backoff: 50ms\n", "  retry_backoff: 20ms\n  max_attempts: 2\n")
	e.srv.FailRcpt("reader3@example.com", 451, "4.2.0", "mailbox busy, try later")
	e.srv.FailRcpt("reader4@example.com", 550, "5.1.1", "user unknown")
	e.srv.FailData("reader5@example.com", 554, "5.7.1", "message refused as spam")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "campaigns show 1 --failed") {
		t.Fatalf("send: exit %d, no pointer to the failures:\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = dispatch(t, e.dir, "campaigns", "show", "1", "--failed", "--json")
	var failed []struct {
		Email, Kind, Reason string
		Retryable           bool
		Attempts            int
		SMTPCode            int `json:"smtp_code"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &failed); err != nil || r.code != 0 {
		t.Fatalf("show --failed --json: %v, exit %d\n%s%s", err, r.code, r.stdout, r.stderr)
	}
	want := map[string]string{"reader3@example.com": "temporary", "reader4@example.com": "bounce", "reader5@example.com": "refused"}
	if len(failed) != len(want) {
		t.Fatalf("failed = %+v; want %v", failed, want)
	}
	for _, f := range failed {
		if f.Kind != want[f.Email] || f.Retryable != (f.Kind == "temporary") || f.Reason == "" || f.SMTPCode == 0 {
			t.Errorf("failed entry %+v; want kind %s with its reason and code", f, want[f.Email])
		}
	}
	r = dispatch(t, e.dir, "campaigns", "show", "1", "--failed")
	for _, s := range []string{"reader3@example.com", "mailbox busy", "user unknown", "dispatch campaigns retry 1"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("show --failed lacks %q:\n%s", s, r.stdout)
		}
	}

	e.srv.Reset() // the relay and reader3's mailbox are fine again
	r = dispatch(t, e.dir, "campaigns", "retry", "1", "--json")
	var rj struct {
		Requeued int
		Kept     map[string]int
		Next     string
	}
	if err := json.Unmarshal([]byte(r.stdout), &rj); err != nil || r.code != 0 {
		t.Fatalf("retry --json: %v, exit %d\n%s%s", err, r.code, r.stdout, r.stderr)
	}
	if rj.Requeued != 1 || rj.Kept["bounce"] != 1 || rj.Kept["refused"] != 1 || !strings.Contains(rj.Next, "dispatch send") {
		t.Errorf("retry = %+v; want 1 re-queued, 1 bounce and 1 refusal kept, and the command to send", rj)
	}
	if r = dispatch(t, e.dir, "campaigns", "retry", "1"); !strings.Contains(r.stdout, "queued again 0 deliveries") {
		t.Errorf("second retry: %s", r.stdout)
	}
	r = dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes")
	if r.code != 0 {
		t.Fatalf("send after retry: %d %s", r.code, r.stderr)
	}
	if msgs := e.srv.Messages(); len(msgs) != 1 || msgs[0].To[0] != "reader3@example.com" {
		t.Errorf("send after retry mailed %d messages; want one, to reader3", len(msgs))
	}
	if cs := campaignsJSON(t, e.dir); cs[0].Status != "finished" || cs[0].Sent != 6 || cs[0].Failed != 2 {
		t.Errorf("campaign = %+v; want finished, 6 sent, 2 failed", cs[0])
	}
}

// TestEndToEndChunking: with smtp.chunking on, a relay that offers
// CHUNKING gets each message as BDAT with its envelope, and a refused
// recipient is still only that recipient's failure.
func TestEndToEndChunking(t *testing.T) {
	e := newSendEnv(t, 12, "")
	path := filepath.Join(e.dir, "dispatch.yaml")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "  tls: none\n", "  tls: none\n  chunking: true\n", 1))
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	e.srv.FailRcpt("reader3@example.com", 550, "5.1.1", "user unknown")
	r := dispatch(t, e.dir, "send", e.issue, "--list", "clients", "--yes", "--json")
	if r.code != 0 {
		t.Fatalf("send exit %d: %s", r.code, r.stderr)
	}
	var rep sendJSON
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("send --json: %v\n%s", err, r.stdout)
	}
	if rep.Sent != 11 || rep.Failed != 1 {
		t.Errorf("report = %s; want 11 sent, 1 failed", r.stdout)
	}
	cmds := e.srv.Stats().Commands
	if cmds["BDAT"] != 12 || cmds["DATA"] != 0 {
		t.Errorf("commands = %v; want 12 BDAT and no DATA", cmds)
	}
	if n := len(e.srv.Messages()); n != 11 {
		t.Errorf("server has %d messages; want 11", n)
	}
}

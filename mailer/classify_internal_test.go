package mailer

import (
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestClassifyRealReplies sends through the mailer's own connection code to
// a real server scripted to refuse in each way a relay does, and checks
// what classify makes of the error go-mail reports.
func TestClassifyRealReplies(t *testing.T) {
	const rcpt = "reader@example.net"
	tests := []struct {
		name     string
		script   func(s *smtptest.Server)
		timeout  time.Duration // client timeout; 0: 5s
		verdict  verdict
		code     int
		status   string
		reset    bool
		possible bool
	}{
		{name: "accepted", script: func(*smtptest.Server) {}, verdict: vSent, code: 250},

		// 4xx: retry later.
		{name: "rcpt 421 closing", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 421, "4.4.2", "closing connection") },
			verdict: vTemporary, code: 421, status: "4.4.2", reset: true},
		{name: "rcpt 450 mailbox busy", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 450, "4.2.1", "mailbox busy") },
			verdict: vTemporary, code: 450, status: "4.2.1"},
		{name: "rcpt 451 greylisted", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 451, "4.7.1", "greylisted, try again") },
			verdict: vTemporary, code: 451, status: "4.7.1"},
		{name: "rcpt 452 full for now", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 452, "4.2.2", "mailbox full") },
			verdict: vTemporary, code: 452, status: "4.2.2"},
		{name: "data 451 local error", script: func(s *smtptest.Server) { s.FailData(rcpt, 451, "4.3.0", "local error in processing") },
			verdict: vTemporary, code: 451, status: "4.3.0"},
		{name: "mail from 421", script: func(s *smtptest.Server) { s.FailMailFrom(421, "4.7.0", "too many connections", 1) },
			verdict: vTemporary, code: 421, status: "4.7.0", reset: true},

		// 5xx about the recipient: bounce.
		{name: "rcpt 550 5.1.1 unknown", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 550, "5.1.1", "user unknown") },
			verdict: vHardBounce, code: 550, status: "5.1.1"},
		{name: "rcpt 550 5.0.0 mailbox unavailable", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 550, "", "mailbox unavailable") },
			verdict: vHardBounce, code: 550, status: "5.0.0"},
		{name: "rcpt 552 5.2.2 full", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 552, "5.2.2", "mailbox full") },
			verdict: vSoftBounce, code: 552, status: "5.2.2"},
		{name: "rcpt 553 5.1.3 bad address", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 553, "5.1.3", "bad destination mailbox address syntax") },
			verdict: vHardBounce, code: 553, status: "5.1.3"},
		{name: "rcpt 553 without enhanced code", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 553, "", "mailbox name not allowed") },
			verdict: vHardBounce, code: 553, status: "5.0.0"},
		{name: "rcpt 550 5.1.10 null MX", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 550, "5.1.10", "recipient domain has null MX") },
			verdict: vHardBounce, code: 550, status: "5.1.10"},

		// 5xx about us or the content: refuse, never blame the recipient.
		{name: "rcpt 554 5.7.1 relay denied", script: func(s *smtptest.Server) { s.FailRcpt(rcpt, 554, "5.7.1", "relay access denied") },
			verdict: vRefused, code: 554, status: "5.7.1"},
		{name: "rcpt 550 5.7.1 blocked", script: func(s *smtptest.Server) {
			s.FailRcpt(rcpt, 550, "5.7.1", "service unavailable; client host blocked using a blocklist")
		},
			verdict: vRefused, code: 550, status: "5.7.1"},
		{name: "data 554 5.7.1 spam", script: func(s *smtptest.Server) { s.FailData(rcpt, 554, "5.7.1", "message rejected as spam") },
			verdict: vRefused, code: 554, status: "5.7.1"},
		{name: "data 552 5.3.4 too big", script: func(s *smtptest.Server) { s.FailData(rcpt, 552, "5.3.4", "message size exceeds fixed limit") },
			verdict: vRefused, code: 552, status: "5.3.4"},
		{name: "data 550 5.7.26 dmarc", script: func(s *smtptest.Server) {
			s.FailData(rcpt, 550, "5.7.26", "unauthenticated email is not accepted (DMARC)")
		},
			verdict: vRefused, code: 550, status: "5.7.26"},
		{name: "mail from 550 5.7.1", script: func(s *smtptest.Server) { s.FailMailFrom(550, "5.7.1", "sender address rejected", 1) },
			verdict: vRefused, code: 550, status: "5.7.1"},
		{name: "mail from 553 5.1.8", script: func(s *smtptest.Server) { s.FailMailFrom(553, "5.1.8", "sender domain does not exist", 1) },
			verdict: vRefused, code: 553, status: "5.1.8"},

		// No reply at all.
		{name: "dropped at rcpt", script: func(s *smtptest.Server) { s.DropOnRcpt(rcpt, 1) },
			verdict: vConnection, reset: true},
		{name: "timeout after data", script: func(s *smtptest.Server) { s.SetDelay(3 * time.Second) }, timeout: 300 * time.Millisecond,
			verdict: vConnection, reset: true, possible: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t)
			tc.script(s)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			cn := testConn(s, timeout)
			defer cn.close()
			now := time.Now()
			if err := cn.ensure(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			o := classify(cn.send(testMsg(rcpt), now))
			if o.verdict != tc.verdict || o.code != tc.code || o.status != tc.status || o.reset != tc.reset || o.possible != tc.possible {
				t.Fatalf("classify = %s code %d status %q reset %v possible %v (%q)\nwant %s code %d status %q reset %v possible %v",
					o.verdict, o.code, o.status, o.reset, o.possible, o.text, tc.verdict, tc.code, tc.status, tc.reset, tc.possible)
			}
			if o.verdict != vSent && o.text == "" {
				t.Error("no reply text kept for the ledger")
			}
			if o.reset {
				return
			}
			// A refusal that does not ask for a reset leaves the connection
			// usable for the next recipient.
			s.Reset()
			if o := classify(cn.send(testMsg("next@example.net"), time.Now())); o.verdict != vSent {
				t.Errorf("next message on the same connection: %s (%s)", o.verdict, o.text)
			}
		})
	}
}

// TestPermanentWithoutEnhancedCode covers servers that do not advertise
// ENHANCEDSTATUSCODES: the decision falls to the reply code, the command
// and the words. A bare reply code is no evidence against the recipient.
func TestPermanentWithoutEnhancedCode(t *testing.T) {
	tests := []struct {
		step step
		code int
		text string
		want verdict
	}{
		{stepRcpt, 550, "no such user here", vHardBounce},
		{stepRcpt, 550, "mailbox unavailable", vHardBounce},
		{stepRcpt, 552, "mailbox full", vSoftBounce},
		{stepRcpt, 552, "quota exceeded", vSoftBounce},
		{stepRcpt, 554, "rejected: listed on a blocklist", vRefused},
		{stepRcpt, 550, "message rejected due to spam content", vRefused},
		// qmail's relay refusal: our relay configuration, not the address.
		{stepRcpt, 553, "sorry, that domain isn't in my list of allowed rcpthosts", vRefused},
		{stepRcpt, 550, "rejected", vRefused},
		// After the message, the same words describe a filter (as in a DSN).
		{stepEnd, 550, "mailbox unavailable", vSoftBounce},
		{stepEnd, 554, "transaction failed", vRefused},
		{stepMail, 550, "user unknown", vRefused},
	}
	for _, tc := range tests {
		if got, _ := permanent(tc.step, tc.code, "", tc.text, "<bounces+x@example.com>"); got != tc.want {
			t.Errorf("permanent(%v, %d, %q) = %s; want %s", tc.step, tc.code, tc.text, got, tc.want)
		}
	}
}

// TestSenderRefusalsNeverBlameTheRecipient: the replies Postfix 3.7 sends
// at RCPT time when it refuses the envelope sender (smtpd_delay_reject), and
// the provider replies about authentication, are the sender's problem
// whatever their code or the rest of their words say; recipient blame needs
// positive evidence.
func TestSenderRefusalsNeverBlameTheRecipient(t *testing.T) {
	const from = "<bounces+a1b2c3@example.test>"
	tests := []struct {
		name string
		step step
		code int
		text string
		want verdict
	}{
		{"reject_sender_login_mismatch", stepRcpt, 553,
			"5.7.1 <bounces+a1b2c3@example.test>: Sender address rejected: not owned by user newsletter", vRefused},
		{"sender access denied", stepRcpt, 554, "5.7.1 <bounces+a1b2c3@example.test>: Sender address rejected: Access denied", vRefused},
		{"reject_unlisted_sender", stepRcpt, 550,
			"5.1.0 <bounces+a1b2c3@example.test>: Sender address rejected: User unknown in local recipient table", vRefused},
		{"reply names the sender", stepRcpt, 550, "5.1.1 <bounces+a1b2c3@example.test>... no such user", vRefused},
		{"outlook 5.7.515", stepData, 550,
			"5.7.515 Access denied, sending domain example.test doesn't meet the required authentication level.", vRefused},
		{"gmail 5.7.26", stepEnd, 550,
			"5.7.26 Unauthenticated email from example.test is not accepted due to domain's DMARC policy.", vRefused},
		{"5.7.1 sender wording", stepRcpt, 550, "5.7.1 Envelope sender domain is not allowed here", vRefused},
		{"5.1.7 bad sender syntax", stepRcpt, 550, "5.1.7 bad sender mailbox address syntax", vRefused},
		{"5.1.0 without words", stepRcpt, 550, "5.1.0 Address rejected", vRefused},

		{"5.1.1", stepRcpt, 550, "5.1.1 <reader@example.net>: Recipient address rejected: User unknown in local recipient table", vHardBounce},
		{"5.1.10 null MX", stepRcpt, 550, "5.1.10 Recipient address rejected: Domain example.net does not accept mail (nullMX)", vHardBounce},
		{"5.2.1 mailbox wording", stepRcpt, 550, "5.2.1 The email account that you tried to reach is disabled", vSoftBounce},
		{"5.2.1 mailbox does not exist", stepRcpt, 550, "5.2.1 mailbox does not exist", vHardBounce},
		{"5.1.2 recipient domain", stepRcpt, 550, "5.1.2 <reader@nowhere.invalid>: Recipient address rejected: Domain not found", vHardBounce},
		{"5.2.2 full", stepRcpt, 552, "5.2.2 Mailbox full", vSoftBounce},
		{"5.4.6 routing loop", stepEnd, 554, "5.4.6 Too many hops", vSoftBounce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status := enhancedRE.FindString(tc.text)
			if got, _ := permanent(tc.step, tc.code, status, tc.text, from); got != tc.want {
				t.Errorf("%d %s = %s; want %s", tc.code, tc.text, got, tc.want)
			}
		})
	}
}

func TestClassifyErrorsWithoutAReply(t *testing.T) {
	if o := classify(nil); o.verdict != vSent || o.code != 250 {
		t.Errorf("no error = %s %d; want sent 250", o.verdict, o.code)
	}
	if o := classify(errors.New("boom")); o.verdict != vConnection || !o.reset || o.possible {
		t.Errorf("a bare error = %s reset %v possible %v; want a connection problem", o.verdict, o.reset, o.possible)
	}
	for _, s := range []step{stepMail, stepRcpt, stepData, stepBody, stepEnd} {
		o := classify(&sendError{step: s, err: io.ErrUnexpectedEOF})
		if o.verdict != vConnection || !o.reset || o.code != 0 || o.possible != (s == stepEnd) {
			t.Errorf("EOF at %s = %s reset %v code %d possible %v; want connection, reset, possible only at end of data",
				s, o.verdict, o.reset, o.code, o.possible)
		}
	}
	o := classify(&sendError{step: stepEnd, err: &textproto.Error{Code: 550, Msg: "4.2.2 odd"}})
	if o.status != "" || o.verdict != vRefused {
		t.Errorf("550 with a 4.x.x status = %s %q; want the status ignored", o.verdict, o.status)
	}
}

func testConn(s *smtptest.Server, timeout time.Duration) *conn {
	r := Relay{Host: s.Host(), Port: s.Port(), TLS: tlsmode.None, Timeout: timeout}
	return &conn{relay: &relayState{cfg: r, name: r.name()}, idle: time.Minute}
}

// testMsg is a minimal message to rcpt.
func testMsg(rcpt string) *message {
	return &message{from: "<bounces+x@example.com>", to: "<" + rcpt + ">",
		data: []byte("From: <news@example.com>\r\nTo: <" + rcpt + ">\r\nSubject: test\r\n\r\nhello\r\n")}
}

// TestRsetOnlyAfterARefusedMailOrRcpt: a refused MAIL or RCPT leaves a
// transaction open, so RSET ends it; a completed DATA needs none.
func TestRsetOnlyAfterARefusedMailOrRcpt(t *testing.T) {
	const rcpt = "reader@example.net"
	tests := []struct {
		name   string
		script func(s *smtptest.Server)
		rsets  int
	}{
		{"rcpt refused", func(s *smtptest.Server) { s.FailRcpt(rcpt, 550, "5.1.1", "user unknown") }, 1},
		{"mail refused", func(s *smtptest.Server) { s.FailMailFrom(550, "5.7.1", "sender address rejected", 1) }, 1},
		{"end of data refused", func(s *smtptest.Server) { s.FailData(rcpt, 554, "5.7.1", "spam") }, 0},
		{"accepted", func(*smtptest.Server) {}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t)
			tc.script(s)
			cn := testConn(s, 5*time.Second)
			defer cn.close()
			if err := cn.ensure(context.Background(), time.Now()); err != nil {
				t.Fatal(err)
			}
			cn.dropIfReset(classify(cn.send(testMsg(rcpt), time.Now())))
			if got := s.Stats().Commands["RSET"]; got != tc.rsets {
				t.Errorf("%d RSET; want %d", got, tc.rsets)
			}
			if o := classify(cn.send(testMsg("next@example.net"), time.Now())); o.verdict != vSent {
				t.Errorf("next message: %s (%s)", o.verdict, o.text)
			}
			if c := s.Stats().Connections; c != 1 {
				t.Errorf("%d connections; want 1", c)
			}
		})
	}
}

// scripted is an SMTP server on 127.0.0.1 for the corners smtptest cannot
// script. It takes one connection and answers each command with what
// reply returns for its verb (hanging up when that is ""), and 250
// otherwise. Its verbs channel yields the verbs it saw, closed when the
// connection ends.
type scripted struct {
	relay Relay
	verbs chan string
}

func startScripted(t *testing.T, reply map[string]string) *scripted {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &scripted{relay: Relay{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, TLS: tlsmode.None, Timeout: 5 * time.Second},
		verbs: make(chan string, 32)}
	go func() {
		defer close(s.verbs)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		tc := textproto.NewConn(nc)
		_ = tc.PrintfLine("220 scripted ready")
		for {
			line, err := tc.ReadLine()
			if err != nil {
				return
			}
			verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
			s.verbs <- verb
			r, ok := reply[verb]
			switch {
			case verb == "EHLO":
				r = "250-scripted\r\n250 ENHANCEDSTATUSCODES"
			case verb == "QUIT":
				_ = tc.PrintfLine("221 2.0.0 bye")
				return
			case !ok:
				r = "250 2.0.0 ok"
			case r == "":
				return
			}
			_ = tc.PrintfLine("%s", r)
		}
	}()
	return s
}

func (s *scripted) seen() string {
	var got []string
	for v := range s.verbs {
		got = append(got, v)
	}
	return strings.Join(got, " ")
}

// TestRefusedDataCommandDropsTheConnection: servers disagree on the state
// a refused DATA command leaves, so the connection is closed (with QUIT,
// since the server still answers) and the next message redials.
func TestRefusedDataCommandDropsTheConnection(t *testing.T) {
	srv := startScripted(t, map[string]string{"DATA": "554 5.7.1 no valid recipients for you"})
	cn := &conn{relay: &relayState{cfg: srv.relay, name: srv.relay.name()}, idle: time.Minute}
	defer cn.abandon()
	if err := cn.ensure(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	o := classify(cn.send(testMsg("reader@example.net"), time.Now()))
	if o.verdict != vRefused || o.code != 554 || o.status != "5.7.1" || !o.reset || o.possible {
		t.Fatalf("refused DATA = %s code %d status %q reset %v possible %v (%s); want refused 554 5.7.1, reset",
			o.verdict, o.code, o.status, o.reset, o.possible, o.text)
	}
	cn.dropIfReset(o)
	if cn.sc != nil {
		t.Error("the connection is still open")
	}
	if got, want := srv.seen(), "EHLO MAIL RCPT DATA QUIT"; got != want {
		t.Errorf("server saw %s; want %s", got, want)
	}
}

// TestFailedRsetDropsTheConnection: the refusal still decides the
// delivery's fate, but a connection whose RSET failed is out of step and
// is closed at once, without waiting on a QUIT.
func TestFailedRsetDropsTheConnection(t *testing.T) {
	srv := startScripted(t, map[string]string{"RCPT": "550 5.1.1 no such user", "RSET": ""})
	cn := &conn{relay: &relayState{cfg: srv.relay, name: srv.relay.name()}, idle: time.Minute}
	defer cn.abandon()
	if err := cn.ensure(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	o := classify(cn.send(testMsg("reader@example.net"), time.Now()))
	if o.verdict != vHardBounce || o.code != 550 || o.status != "5.1.1" || !o.reset {
		t.Fatalf("refused RCPT, failed RSET = %s code %d status %q reset %v (%s); want hard bounce 550 5.1.1, reset",
			o.verdict, o.code, o.status, o.reset, o.text)
	}
	if cn.sc != nil {
		t.Error("the connection is still open")
	}
	if got, want := srv.seen(), "EHLO MAIL RCPT RSET"; got != want {
		t.Errorf("server saw %s; want %s", got, want)
	}
}

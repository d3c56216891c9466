package mailer

import (
	"context"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

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
			m := testMsg(t, rcpt)
			o := classify(m, cn.send(m, now))
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
			next := testMsg(t, "next@example.net")
			if o := classify(next, cn.send(next, time.Now())); o.verdict != vSent {
				t.Errorf("next message on the same connection: %s (%s)", o.verdict, o.text)
			}
		})
	}
}

// TestPermanentWithoutEnhancedCode covers servers that do not advertise
// ENHANCEDSTATUSCODES: the decision falls to the reply code, the command
// and the words.
func TestPermanentWithoutEnhancedCode(t *testing.T) {
	tests := []struct {
		reason gomail.SendErrReason
		code   int
		text   string
		want   verdict
	}{
		{gomail.ErrSMTPRcptTo, 550, "no such user here", vHardBounce},
		{gomail.ErrSMTPRcptTo, 551, "user not local", vHardBounce},
		{gomail.ErrSMTPRcptTo, 553, "sorry, that domain isn't in my list of allowed rcpthosts", vHardBounce},
		{gomail.ErrSMTPRcptTo, 552, "mailbox full", vSoftBounce},
		{gomail.ErrSMTPRcptTo, 552, "quota exceeded", vSoftBounce},
		{gomail.ErrSMTPRcptTo, 554, "rejected: listed on a blocklist", vRefused},
		{gomail.ErrSMTPRcptTo, 550, "message rejected due to spam content", vRefused},
		{gomail.ErrSMTPDataClose, 550, "mailbox unavailable", vHardBounce},
		{gomail.ErrSMTPDataClose, 554, "transaction failed", vRefused},
		{gomail.ErrSMTPMailFrom, 550, "user unknown", vRefused},
	}
	for _, tc := range tests {
		if got := permanent(tc.reason, tc.code, "", tc.text); got != tc.want {
			t.Errorf("permanent(%v, %d, %q) = %s; want %s", tc.reason, tc.code, tc.text, got, tc.want)
		}
	}
}

func TestClassifyWithoutError(t *testing.T) {
	m := gomail.NewMsg()
	if o := classify(m, nil); o.verdict != vConnection || !o.reset {
		t.Errorf("undelivered message without error = %s reset %v; want a connection problem", o.verdict, o.reset)
	}
}

func testConn(s *smtptest.Server, timeout time.Duration) *conn {
	r := Relay{Host: s.Host(), Port: s.Port(), TLS: "none", Timeout: timeout}
	return &conn{relay: &relayState{cfg: r, name: r.name()}, idle: time.Minute}
}

func testMsg(t *testing.T, to string) *gomail.Msg {
	t.Helper()
	m := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := m.From("news@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := m.To(to); err != nil {
		t.Fatal(err)
	}
	if err := m.EnvelopeFrom("bounces+x@example.com"); err != nil {
		t.Fatal(err)
	}
	m.Subject("test")
	m.SetBodyString(gomail.TypeTextPlain, "hello")
	return m
}

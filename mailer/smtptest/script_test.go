package smtptest_test

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
	mail "github.com/wneessen/go-mail"
)

// TestScriptedRepliesSeenByGoMail sends a good message, a scripted one and
// another good message in one go-mail Send, and checks the SendError go-mail
// reports for the scripted one.
func TestScriptedRepliesSeenByGoMail(t *testing.T) {
	const bad = "bad@example.net"
	tests := []struct {
		name       string
		script     func(s *smtptest.Server)
		reason     mail.SendErrReason
		code       int
		enhanced   string
		temp       bool
		recordsBad bool
	}{
		{
			name:   "rcpt 550 5.1.1",
			script: func(s *smtptest.Server) { s.FailRcpt(bad, 550, "5.1.1", "user unknown") },
			reason: mail.ErrSMTPRcptTo, code: 550, enhanced: "5.1.1",
		},
		{
			name:   "rcpt 451 4.7.1 greylisted",
			script: func(s *smtptest.Server) { s.FailRcpt(bad, 451, "4.7.1", "greylisted, try later") },
			reason: mail.ErrSMTPRcptTo, code: 451, enhanced: "4.7.1", temp: true,
		},
		{
			name:   "rcpt matched case-insensitively",
			script: func(s *smtptest.Server) { s.FailRcpt("BAD@Example.NET", 550, "5.1.1", "user unknown") },
			reason: mail.ErrSMTPRcptTo, code: 550, enhanced: "5.1.1",
		},
		{
			name:   "end of data 554 5.7.1",
			script: func(s *smtptest.Server) { s.FailData(bad, 554, "5.7.1", "spam") },
			reason: mail.ErrSMTPDataClose, code: 554, enhanced: "5.7.1",
		},
		{
			name:   "end of data 452 4.3.1",
			script: func(s *smtptest.Server) { s.FailData(bad, 452, "4.3.1", "mailbox full") },
			reason: mail.ErrSMTPDataClose, code: 452, enhanced: "4.3.1", temp: true,
		},
		{
			name: "empty enhanced code becomes X.0.0",
			script: func(s *smtptest.Server) {
				s.FailRcpt(bad, 450, "", "busy")
			},
			reason: mail.ErrSMTPRcptTo, code: 450, enhanced: "4.0.0", temp: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t)
			tc.script(s)
			before, scripted, after := newMsg(t, "a@example.net", "1"), newMsg(t, bad, "2"), newMsg(t, "c@example.net", "3")
			if err := goMail(t, s).DialAndSend(before, scripted, after); err == nil {
				t.Fatal("DialAndSend = nil; want the scripted failure")
			}
			se := sendError(t, scripted)
			if se.Reason != tc.reason || se.ErrorCode() != tc.code || se.EnhancedStatusCode() != tc.enhanced || se.IsTemp() != tc.temp {
				t.Errorf("SendError = reason %v, code %d, enhanced %q, temp %v; want %v, %d, %q, %v (%v)",
					se.Reason, se.ErrorCode(), se.EnhancedStatusCode(), se.IsTemp(),
					tc.reason, tc.code, tc.enhanced, tc.temp, se)
			}
			if !before.IsDelivered() || !after.IsDelivered() {
				t.Errorf("neighbours delivered = %v, %v; want both", before.IsDelivered(), after.IsDelivered())
			}
			if got := recipients(s.Messages()); got != "a@example.net c@example.net" {
				t.Errorf("server recorded %q; want the two good messages", got)
			}
			if st := s.Stats(); st.Rejected != 1 {
				t.Errorf("Rejected = %d; want 1", st.Rejected)
			}
		})
	}
}

// TestScriptedRepliesSeenByNetSMTP checks the exact reply text with the
// standard library client, which exposes it as a *textproto.Error.
func TestScriptedRepliesSeenByNetSMTP(t *testing.T) {
	const bad = "bad@example.net"
	tests := []struct {
		name   string
		script func(s *smtptest.Server)
		step   string // the net/smtp step that fails
		code   int
		msg    string
	}{
		{"rcpt", func(s *smtptest.Server) { s.FailRcpt(bad, 550, "5.1.1", "user unknown") }, "rcpt", 550, "5.1.1 user unknown"},
		{"data", func(s *smtptest.Server) { s.FailData(bad, 554, "5.7.1", "rejected as spam") }, "end of data", 554, "5.7.1 rejected as spam"},
		{"mail from", func(s *smtptest.Server) { s.FailMailFrom(421, "4.3.2", "shutting down", 0) }, "mail", 421, "4.3.2 shutting down"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t)
			tc.script(s)
			err := stdSend(s.Addr(), "a@example.com", bad, plainBody(bad))
			var te *textproto.Error
			if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), tc.step+":") || te.Code != tc.code || te.Msg != tc.msg {
				t.Errorf("send = %v; want %s: %d %s", err, tc.step, tc.code, tc.msg)
			}
		})
	}
}

func TestFailRcptTimesAcceptsAfterN(t *testing.T) {
	s := smtptest.NewServer(t)
	const to = "grey@example.net"
	s.FailRcptTimes(to, 2, 451, "4.7.1", "greylisted")
	c := goMail(t, s)
	for attempt := 1; attempt <= 3; attempt++ {
		m := newMsg(t, to, "try")
		err := c.DialAndSend(m)
		if attempt <= 2 {
			if se := sendError(t, m); !se.IsTemp() || se.ErrorCode() != 451 {
				t.Errorf("attempt %d: %v; want a temporary 451", attempt, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("attempt %d = %v; want delivered", attempt, err)
		}
	}
	if got := len(s.Messages()); got != 1 {
		t.Errorf("recorded %d messages; want 1", got)
	}
}

func TestFailMailFromFirstN(t *testing.T) {
	s := smtptest.NewServer(t)
	s.FailMailFrom(550, "5.7.1", "sender rejected", 1)
	first, second := newMsg(t, "a@example.net", "1"), newMsg(t, "b@example.net", "2")
	_ = goMail(t, s).DialAndSend(first, second)
	se := sendError(t, first)
	if se.Reason != mail.ErrSMTPMailFrom || se.ErrorCode() != 550 || se.EnhancedStatusCode() != "5.7.1" {
		t.Errorf("first: %v (reason %v, code %d); want ErrSMTPMailFrom 550 5.7.1", se, se.Reason, se.ErrorCode())
	}
	if !second.IsDelivered() {
		t.Errorf("second not delivered: %v", second.SendError())
	}
}

// TestDropOnRcpt: go-mail sees an I/O error, code 0, and the rest of the
// batch fails on the dead connection; a new connection works again.
func TestDropOnRcpt(t *testing.T) {
	s := smtptest.NewServer(t)
	s.DropOnRcpt("gone@example.net", 1)
	dropped, next := newMsg(t, "gone@example.net", "1"), newMsg(t, "b@example.net", "2")
	if err := goMail(t, s).DialAndSend(dropped, next); err == nil {
		t.Fatal("DialAndSend = nil; want an error after the drop")
	}
	se := sendError(t, dropped)
	if se.Reason != mail.ErrSMTPRcptTo || se.ErrorCode() != 0 || se.IsTemp() {
		t.Errorf("dropped: reason %v, code %d, temp %v; want ErrSMTPRcptTo, 0, false (%v)",
			se.Reason, se.ErrorCode(), se.IsTemp(), se)
	}
	if next.IsDelivered() {
		t.Error("message after the drop delivered on a dead connection")
	}

	again := newMsg(t, "gone@example.net", "3")
	if err := goMail(t, s).DialAndSend(again); err != nil {
		t.Errorf("after the single drop, new connection = %v; want delivered", err)
	}
	if st := s.Stats(); st.Dropped != 1 || st.Messages != 1 {
		t.Errorf("Stats = %+v; want 1 dropped, 1 message", st)
	}
}

func TestDropOnRcptNetSMTP(t *testing.T) {
	s := smtptest.NewServer(t)
	s.DropOnRcpt("gone@example.net", 0)
	err := stdSend(s.Addr(), "a@example.com", "gone@example.net", plainBody("x"))
	var te *textproto.Error
	if err == nil || !strings.HasPrefix(err.Error(), "rcpt:") || errors.As(err, &te) {
		t.Errorf("send = %v; want an I/O error at rcpt, not an SMTP reply", err)
	}
}

// TestDropAfterMessages: the n-th message gets its 250, then the connection
// closes. go-mail marks it delivered but fails its follow-up RSET, and the
// client must reconnect for the rest.
func TestDropAfterMessages(t *testing.T) {
	s := smtptest.NewServer(t)
	s.DropAfterMessages(2)
	msgs := []*mail.Msg{newMsg(t, "a@example.net", "1"), newMsg(t, "b@example.net", "2"), newMsg(t, "c@example.net", "3")}
	c := goMail(t, s)
	if err := c.DialAndSend(msgs...); err == nil {
		t.Fatal("DialAndSend = nil; want an error for the third message")
	}
	if !msgs[0].IsDelivered() || !msgs[1].IsDelivered() || msgs[2].IsDelivered() {
		t.Errorf("delivered = %v %v %v; want true true false",
			msgs[0].IsDelivered(), msgs[1].IsDelivered(), msgs[2].IsDelivered())
	}
	if se := sendError(t, msgs[1]); se.Reason != mail.ErrSMTPReset {
		t.Errorf("second message: reason %v; want ErrSMTPReset after the server closed (%v)", se.Reason, se)
	}

	if err := c.DialAndSend(msgs[2]); err != nil {
		t.Fatalf("resend on a new connection: %v", err)
	}
	got := s.Messages()
	if len(got) != 3 || got[0].Conn != 1 || got[1].Conn != 1 || got[2].Conn != 2 {
		t.Errorf("messages by connection = %v; want 1 1 2", conns(got))
	}
	if st := s.Stats(); st.Dropped != 1 {
		t.Errorf("Dropped = %d; want 1", st.Dropped)
	}
}

// TestSetDelayAmbiguousTimeout: a client that gives up while the server is
// slow sees code 0 at end of data, yet the server accepts the message.
func TestSetDelayAmbiguousTimeout(t *testing.T) {
	s := smtptest.NewServer(t)
	s.SetDelay(time.Second)
	m := newMsg(t, "slow@example.net", "slow")
	err := goMail(t, s, mail.WithTimeout(200*time.Millisecond)).DialAndSend(m)
	if err == nil {
		t.Fatal("DialAndSend = nil; want a timeout")
	}
	se := sendError(t, m)
	if se.Reason != mail.ErrSMTPDataClose || se.ErrorCode() != 0 {
		t.Errorf("SendError = reason %v, code %d; want ErrSMTPDataClose, 0 (%v)", se.Reason, se.ErrorCode(), se)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.WaitMessages(ctx, 1); err != nil {
		t.Errorf("server did not accept the message after the delay: %v", err)
	}
}

// TestScriptsSafeWhileSending changes scripts and reads state while four
// clients send; run with -race.
func TestScriptsSafeWhileSending(t *testing.T) {
	s := smtptest.NewServer(t)
	const senders, each = 4, 20
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for g := range senders {
		wg.Go(func() {
			c := goMail(t, s)
			if err := c.DialWithContext(context.Background()); err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for i := range each {
				to := fmt.Sprintf("r%d-%d@example.net", g, i)
				if i%2 == 0 {
					to = "flaky@example.net"
				}
				errs <- c.Send(newMsg(t, to, "x"))
			}
		})
	}
	stop := make(chan struct{})
	var scripter sync.WaitGroup
	scripter.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.FailRcptTimes("flaky@example.net", i%3, 451, "4.7.1", "later")
			s.SetDelay(0)
			_ = s.Stats()
			_ = s.Messages()
			time.Sleep(100 * time.Microsecond)
		}
	})
	wg.Wait()
	close(stop)
	scripter.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	st := s.Stats()
	if st.Messages+st.Rejected != senders*each || st.Messages+failed != senders*each || st.Messages < senders*each/2 {
		t.Errorf("Stats = %+v, client failures %d; want messages + rejected = messages + failures = %d",
			st, failed, senders*each)
	}
}

func TestScriptPanicsOnMalformedReply(t *testing.T) {
	s := smtptest.NewServer(t)
	for _, tc := range []struct {
		code     int
		enhanced string
	}{{250, ""}, {550, "5.1"}, {550, "4.1.1"}, {550, "5.x.1"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("FailRcpt(code %d, %q) did not panic", tc.code, tc.enhanced)
				}
			}()
			s.FailRcpt("a@example.net", tc.code, tc.enhanced, "x")
		}()
	}
}

func conns(msgs []smtptest.Message) []int {
	var out []int
	for _, m := range msgs {
		out = append(out, m.Conn)
	}
	return out
}

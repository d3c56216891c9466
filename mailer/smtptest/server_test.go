package smtptest_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
	mail "github.com/wneessen/go-mail"
)

func TestServerRecordsMessagesInArrivalOrder(t *testing.T) {
	s := smtptest.NewServer(t)

	c := goMail(t, s)
	m1, m2 := newMsg(t, "a@example.net", "one"), newMsg(t, "b@example.net", "two")
	if err := c.DialAndSend(m1, m2); err != nil {
		t.Fatalf("DialAndSend: %v", err)
	}
	if err := stdSend(s.Addr(), "other@example.com", "c@example.net", plainBody("c@example.net")); err != nil {
		t.Fatalf("net/smtp send: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, 3)
	if err != nil {
		t.Fatalf("WaitMessages: %v", err)
	}
	if got, want := recipients(msgs), "a@example.net b@example.net c@example.net"; got != want {
		t.Errorf("recipients = %q; want %q", got, want)
	}
	for i, m := range msgs[:2] {
		if m.From != sender {
			t.Errorf("msgs[%d].From = %q; want the envelope sender %q", i, m.From, sender)
		}
		if m.Conn != 1 {
			t.Errorf("msgs[%d].Conn = %d; want 1 (one go-mail connection)", i, m.Conn)
		}
		if !bytes.Contains(m.Data, []byte("\r\nSubject: ")) || !bytes.HasSuffix(m.Data, []byte("\r\n")) {
			t.Errorf("msgs[%d].Data = %q; want a CRLF message with a Subject", i, m.Data)
		}
		if !bytes.Contains(m.Data, []byte("\r\n.leading dot line")) {
			t.Errorf("msgs[%d].Data lost the dot-stuffed line: %q", i, m.Data)
		}
		if m.Size != len(m.Data) || m.Received.IsZero() || m.TLS || m.User != "" {
			t.Errorf("msgs[%d] = Size %d, Received %v, TLS %v, User %q; want Size %d, a time, no TLS, no user",
				i, m.Size, m.Received, m.TLS, m.User, len(m.Data))
		}
	}
	if got := msgs[2]; got.Conn != 2 || got.From != "other@example.com" || string(got.Data) != plainBody("c@example.net") {
		t.Errorf("net/smtp message = %+v; want Conn 2, From other@example.com, the body as sent", got)
	}
	if got := s.Messages(); len(got) != 3 {
		t.Errorf("len(Messages()) = %d; want 3", len(got))
	}
}

func TestWaitMessagesReturnsContextError(t *testing.T) {
	s := smtptest.NewServer(t)
	if err := stdSend(s.Addr(), "a@example.com", "b@example.net", plainBody("b@example.net")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	msgs, err := s.WaitMessages(ctx, 2)
	if !errors.Is(err, context.DeadlineExceeded) || len(msgs) != 1 {
		t.Errorf("WaitMessages(2) with 1 message = %d messages, %v; want 1 and context.DeadlineExceeded", len(msgs), err)
	}
}

func TestWaitMessagesWakesOnArrival(t *testing.T) {
	s := smtptest.NewServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := s.WaitMessages(ctx, 2)
		done <- err
	}()
	for _, to := range []string{"a@example.net", "b@example.net"} {
		if err := stdSend(s.Addr(), "x@example.com", to, plainBody(to)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Errorf("WaitMessages(2) = %v; want nil once two messages arrived", err)
	}
}

func TestStatsCountCommandsOutsideMessageBodies(t *testing.T) {
	// The body holds lines that look like commands; they must not count.
	body := "NOOP\nRSET\nQUIT\nMAIL FROM:<x@example.com>\n"
	tests := []struct {
		name     string
		opts     []mail.Option
		wantNoop int
		wantRset int
	}{
		// go-mail v0.8.1: one NOOP per Send call, then NOOP and RSET after each message.
		{name: "default", wantNoop: 3, wantRset: 2},
		{name: "WithoutNoop", opts: []mail.Option{mail.WithoutNoop()}, wantNoop: 0, wantRset: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t)
			c := goMail(t, s, tc.opts...)
			m1, m2 := newMsg(t, "a@example.net", "one"), newMsg(t, "b@example.net", "two")
			m1.SetBodyString(mail.TypeTextPlain, body)
			m2.SetBodyString(mail.TypeTextPlain, body)
			if err := c.DialAndSend(m1, m2); err != nil {
				t.Fatalf("DialAndSend: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := s.WaitMessages(ctx, 2); err != nil {
				t.Fatal(err)
			}
			// QUIT arrives after the last message; wait for the connection to end.
			waitFor(t, func() bool { return s.Stats().Open == 0 })

			st := s.Stats()
			want := map[string]int{"EHLO": 1, "MAIL": 2, "RCPT": 2, "DATA": 2, "QUIT": 1,
				"NOOP": tc.wantNoop, "RSET": tc.wantRset}
			for verb, n := range want {
				if st.Commands[verb] != n {
					t.Errorf("Commands[%q] = %d; want %d (all: %v)", verb, st.Commands[verb], n, st.Commands)
				}
			}
			if st.Connections != 1 || st.MaxConcurrent != 1 || st.Messages != 2 || st.Rejected != 0 {
				t.Errorf("Stats = %+v; want 1 connection, 2 messages, 0 rejected", st)
			}
		})
	}
}

func TestStatsMaxConcurrent(t *testing.T) {
	s := smtptest.NewServer(t)
	var clients []*smtp.Client
	for range 3 {
		c, err := smtp.Dial(s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Hello("localhost"); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	st := s.Stats()
	if st.Connections != 3 || st.Open != 3 || st.MaxConcurrent != 3 {
		t.Errorf("with 3 clients connected Stats = %+v; want 3 connections, 3 open, max 3", st)
	}
	for _, c := range clients {
		if err := c.Quit(); err != nil {
			t.Error(err)
		}
	}
	waitFor(t, func() bool { return s.Stats().Open == 0 })
	if st := s.Stats(); st.MaxConcurrent != 3 {
		t.Errorf("after quitting MaxConcurrent = %d; want 3", st.MaxConcurrent)
	}
}

func TestResetForgetsMessagesStatsAndScripts(t *testing.T) {
	s := smtptest.NewServer(t)
	s.FailRcpt("bad@example.net", 550, "5.1.1", "user unknown")
	if err := stdSend(s.Addr(), "a@example.com", "good@example.net", plainBody("x")); err != nil {
		t.Fatal(err)
	}
	if err := stdSend(s.Addr(), "a@example.com", "bad@example.net", plainBody("x")); err == nil {
		t.Fatal("send to bad@example.net succeeded; want the scripted 550")
	}

	s.Reset()

	if got := s.Messages(); len(got) != 0 {
		t.Errorf("after Reset Messages() has %d; want 0", len(got))
	}
	if st := s.Stats(); st.Connections != 0 || st.Messages != 0 || st.Rejected != 0 || len(st.Commands) != 0 {
		t.Errorf("after Reset Stats = %+v; want zeroes", st)
	}
	if err := stdSend(s.Addr(), "a@example.com", "bad@example.net", plainBody("x")); err != nil {
		t.Errorf("after Reset send to bad@example.net = %v; want the script gone", err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || msgs[0].Conn != 3 {
		t.Errorf("after Reset messages = %+v; want one, on connection 3 (serials keep counting)", msgs)
	}
}

func TestDiscardBodiesKeepsEnvelopeAndSize(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.DiscardBodies())
	body := plainBody("b@example.net")
	if err := stdSend(s.Addr(), "a@example.com", "b@example.net", body); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages; want 1", len(msgs))
	}
	if m := msgs[0]; m.Data != nil || m.Size != len(body) || m.From != "a@example.com" || m.To[0] != "b@example.net" {
		t.Errorf("message = %+v; want nil Data, Size %d and the envelope", m, len(body))
	}
}

func TestMaxMessageBytes(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.MaxMessageBytes(2000))
	c := goMail(t, s)
	small, big := newMsg(t, "small@example.net", "small"), newMsg(t, "big@example.net", "big")
	big.SetBodyString(mail.TypeTextPlain, strings.Repeat("0123456789 ", 400))
	err := c.DialAndSend(small, big)
	if err == nil {
		t.Fatal("DialAndSend of an oversized message succeeded")
	}
	if !small.IsDelivered() {
		t.Errorf("small message not delivered: %v", small.SendError())
	}
	se := sendError(t, big)
	if se.Reason != mail.ErrSMTPDataClose || se.ErrorCode() != 552 || se.IsTemp() {
		t.Errorf("oversized message: Reason %v, code %d, temp %v; want ErrSMTPDataClose, 552, permanent",
			se.Reason, se.ErrorCode(), se.IsTemp())
	}
	if got := recipients(s.Messages()); got != "small@example.net" {
		t.Errorf("recorded %q; want only small@example.net", got)
	}
	if st := s.Stats(); st.Rejected != 1 {
		t.Errorf("Rejected = %d; want 1", st.Rejected)
	}
}

func TestCloseStopsServerAndOpenConnections(t *testing.T) {
	s, err := smtptest.Start(smtptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	idle, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if err := idle.Hello("localhost"); err != nil {
		t.Fatal(err)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v; want nil", err)
	}
	if err := idle.Noop(); err == nil {
		t.Error("NOOP on a connection open before Close succeeded; want an error")
	}
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Errorf("dial %s after Close succeeded", s.Addr())
	}
}

func TestCloseInterruptsDelay(t *testing.T) {
	s, err := smtptest.Start(smtptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.SetDelay(time.Hour)
	sent := make(chan error, 1)
	go func() { sent <- stdSend(s.Addr(), "a@example.com", "b@example.net", plainBody("b")) }()
	waitFor(t, func() bool { return s.Stats().Commands["DATA"] == 1 })
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked behind SetDelay(time.Hour)")
	}
	if err := <-sent; err == nil {
		t.Error("send during Close succeeded; want an error")
	}
}

// waitFor polls cond for things the server does after the client already
// has its reply, such as closing the connection after QUIT.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMaxLineLength(t *testing.T) {
	long := "Subject: x\r\n\r\n" + strings.Repeat("a", 3000) + "\r\n"
	tests := []struct {
		name   string
		opts   []smtptest.Option
		wantOK bool
	}{
		{name: "go-smtp default 2000", wantOK: false},
		{name: "raised", opts: []smtptest.Option{smtptest.MaxLineLength(4000)}, wantOK: true},
		{name: "unlimited", opts: []smtptest.Option{smtptest.MaxLineLength(-1)}, wantOK: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t, tc.opts...)
			err := stdSend(s.Addr(), "a@example.com", "b@example.net", long)
			if (err == nil) != tc.wantOK {
				t.Errorf("send of a 3000-byte line = %v; want ok %v", err, tc.wantOK)
			}
		})
	}
}

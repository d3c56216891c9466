package smtptest_test

import (
	"context"
	"errors"
	"net/textproto"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

func dialRaw(t *testing.T, s *smtptest.Server, pipelining bool) *smtptest.RawClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := smtptest.DialRaw(ctx, s.Addr())
	if err != nil {
		t.Fatalf("DialRaw: %v", err)
	}
	c.Pipelining = pipelining
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRawClientSendsExactBytes(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want string // as the server stores it
	}{
		{"plain", "Subject: a\r\n\r\nhello\r\n", "Subject: a\r\n\r\nhello\r\n"},
		{"dots are stuffed", "Subject: b\r\n\r\n.\r\n..two\r\n.x\r\nend\r\n", "Subject: b\r\n\r\n.\r\n..two\r\n.x\r\nend\r\n"},
		{"leading dot", ".starts with a dot\r\n", ".starts with a dot\r\n"},
		{"missing final CRLF", "Subject: c\r\n\r\nno newline", "Subject: c\r\n\r\nno newline\r\n"},
	}
	for _, pipelining := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if pipelining {
				name += "/pipelined"
			}
			t.Run(name, func(t *testing.T) {
				s := smtptest.NewServer(t)
				c := dialRaw(t, s, pipelining)
				for range 2 {
					if err := c.Send(context.Background(), "from@example.com", "to@example.net", []byte(tc.msg)); err != nil {
						t.Fatalf("Send: %v", err)
					}
				}
				msgs := s.Messages()
				if len(msgs) != 2 {
					t.Fatalf("server has %d messages; want 2", len(msgs))
				}
				for _, m := range msgs {
					if string(m.Data) != tc.want || m.From != "from@example.com" || m.To[0] != "to@example.net" || m.Conn != 1 {
						t.Errorf("server got %+v (data %q); want %q from the envelope on connection 1", m, m.Data, tc.want)
					}
				}
				if cmds := s.Stats().Commands; cmds["EHLO"] != 1 || cmds["MAIL"] != 2 || cmds["DATA"] != 2 || cmds["RSET"] != 0 {
					t.Errorf("Commands = %v; want EHLO once, MAIL and DATA twice, no RSET", cmds)
				}
			})
		}
	}
}

func TestRawClientRefusalKeepsConnectionUsable(t *testing.T) {
	for _, pipelining := range []bool{false, true} {
		s := smtptest.NewServer(t)
		s.FailRcpt("bad@example.net", 550, "5.1.1", "user unknown")
		s.FailMailFrom(451, "4.3.0", "try later", 1)
		c := dialRaw(t, s, pipelining)
		msg := []byte("Subject: x\r\n\r\nx\r\n")

		err := c.Send(context.Background(), "a@example.com", "good@example.net", msg)
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != 451 || te.Msg != "4.3.0 try later" {
			t.Errorf("pipelining %v: first Send = %v; want 451 4.3.0 try later", pipelining, err)
		}
		err = c.Send(context.Background(), "a@example.com", "bad@example.net", msg)
		if !errors.As(err, &te) || te.Code != 550 || te.Msg != "5.1.1 user unknown" {
			t.Errorf("pipelining %v: Send to bad = %v; want 550 5.1.1 user unknown", pipelining, err)
		}
		if err := c.Send(context.Background(), "a@example.com", "good@example.net", msg); err != nil {
			t.Errorf("pipelining %v: Send after refusals = %v; want accepted", pipelining, err)
		}
		if got := recipients(s.Messages()); got != "good@example.net" {
			t.Errorf("pipelining %v: server recorded %q; want good@example.net once", pipelining, got)
		}
	}
}

func TestRawClientDropMakesItUnusable(t *testing.T) {
	s := smtptest.NewServer(t)
	s.DropOnRcpt("gone@example.net", 1)
	c := dialRaw(t, s, false)
	msg := []byte("Subject: x\r\n\r\nx\r\n")
	err := c.Send(context.Background(), "a@example.com", "gone@example.net", msg)
	var te *textproto.Error
	if err == nil || errors.As(err, &te) {
		t.Fatalf("Send to dropped recipient = %v; want an I/O error", err)
	}
	if err := c.Send(context.Background(), "a@example.com", "b@example.net", msg); err == nil {
		t.Error("Send on a dropped connection succeeded")
	}
}

func TestRawClientHonoursContext(t *testing.T) {
	s := smtptest.NewServer(t)
	s.SetDelay(time.Hour)
	c := dialRaw(t, s, false)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Send(ctx, "a@example.com", "b@example.net", []byte("x\r\n"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send with a 100ms deadline to a slow server = %v; want context.DeadlineExceeded", err)
	}
}

func TestDialRawRefused(t *testing.T) {
	s, err := smtptest.Start(smtptest.Config{})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := smtptest.DialRaw(context.Background(), addr); err == nil {
		t.Errorf("DialRaw(%s) after Close succeeded", addr)
	}
}

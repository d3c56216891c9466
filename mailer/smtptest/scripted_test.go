package smtptest_test

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestScriptedRepliesAndPipelining: the scripted server answers what the
// test set, on the nth command, keeps what it accepted, and tells a
// pipelined command from one sent on its own.
func TestScriptedRepliesAndPipelining(t *testing.T) {
	s := smtptest.NewScripted(t, "PIPELINING", "8BITMIME")
	s.On("DATA", 2, smtptest.Act{Reply: "554 5.7.1 not today"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := smtptest.DialRaw(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := []byte("Subject: x\r\n\r\n.dot\r\nbody\r\n")
	c.Pipelining = true
	if err := c.Send(ctx, "a@example.com", "b@example.net", msg); err != nil {
		t.Fatalf("first message: %v", err)
	}
	var reply *textproto.Error
	if err := c.Send(ctx, "a@example.com", "c@example.net", msg); !errors.As(err, &reply) || reply.Code != 554 {
		t.Fatalf("second message: %v; want the scripted 554 to DATA", err)
	}
	c.Pipelining = false
	if err := c.Send(ctx, "a@example.com", "d@example.net", msg); err != nil {
		t.Fatalf("third message: %v", err)
	}
	msgs := s.Messages()
	if len(msgs) != 2 || msgs[0].To[0] != "b@example.net" || msgs[1].To[0] != "d@example.net" ||
		string(msgs[0].Data) != string(msg) || msgs[0].From != "a@example.com" {
		t.Fatalf("messages = %+v; want the first and third, as sent", msgs)
	}
	var got []string
	for _, cmd := range s.Commands() {
		if strings.HasPrefix(cmd.Line, "MAIL") {
			got = append(got, map[bool]string{true: "pipelined", false: "alone"}[cmd.Pipelined])
		}
	}
	if strings.Join(got, " ") != "pipelined pipelined alone" {
		t.Errorf("MAIL commands came %v; want pipelined, pipelined, alone", got)
	}
}

// TestHideExtensions: go-smtp offers PIPELINING and CHUNKING; the server
// can keep them out of its EHLO reply.
func TestHideExtensions(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.HideExtensions("PIPELINING", "CHUNKING"))
	nc, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	tp := textproto.NewConn(nc)
	if _, _, err := tp.ReadResponse(220); err != nil {
		t.Fatal(err)
	}
	if err := tp.PrintfLine("EHLO client.example"); err != nil {
		t.Fatal(err)
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(msg, "PIPELINING") || strings.Contains(msg, "CHUNKING") || !strings.Contains(msg, "8BITMIME") {
		t.Errorf("EHLO reply:\n%s\nwant 8BITMIME without PIPELINING or CHUNKING", msg)
	}
}

package smtptest_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestDownRefusesAndResetsThenUpServesAgain: Down refuses new connections
// and breaks open ones; Up serves again on the same address.
func TestDownRefusesAndResetsThenUpServesAgain(t *testing.T) {
	s := smtptest.NewServer(t)
	ctx := context.Background()
	open, err := smtptest.DialRaw(ctx, s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if err := open.Send(ctx, "a@example.com", "b@example.com", []byte("Subject: 1\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}

	s.Down()
	if err := open.Send(ctx, "a@example.com", "b@example.com", []byte("Subject: 2\r\n\r\nhi\r\n")); err == nil {
		t.Error("a connection open before Down still sends")
	}
	if _, err := net.DialTimeout("tcp", s.Addr(), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial while down = %v; want connection refused", err)
	}

	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	again, err := smtptest.DialRaw(ctx, s.Addr())
	if err != nil {
		t.Fatalf("dial after Up: %v", err)
	}
	defer again.Close()
	if err := again.Send(ctx, "a@example.com", "c@example.com", []byte("Subject: 3\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := recipients(s.Messages()); got != "b@example.com c@example.com" {
		t.Errorf("messages to %s; want b and c", got)
	}
}

// TestUnavailableGreetsWith421: a new connection gets the 421 greeting and
// is closed; turning it off restores service.
func TestUnavailableGreetsWith421(t *testing.T) {
	s := smtptest.NewServer(t)
	s.SetUnavailable(true)
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "421 4.3.2 ") {
		t.Errorf("greeting = %q, %v; want 421 4.3.2", line, err)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Error("connection left open after the 421 greeting")
	}
	c.Close()
	if n := s.Stats().TurnedAway; n != 1 {
		t.Errorf("TurnedAway = %d; want 1", n)
	}

	s.SetUnavailable(false)
	if err := stdSend(s.Addr(), "a@example.com", "b@example.com", plainBody("b@example.com")); err != nil {
		t.Errorf("send after SetUnavailable(false): %v", err)
	}
}

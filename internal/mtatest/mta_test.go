package mtatest_test

import (
	"crypto/tls"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/mtatest"
)

// send sends msg over a plain session, as a relay on a private network
// is used: net/smtp.SendMail would insist on verifying the test certificate.
func send(port int, from, to string, msg []byte) error {
	c, err := smtp.Dial(fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// TestMTA checks the harness itself: delivery to a mailbox, the 450 that
// Lift ends, and the strict submission port refusing the VERP sender.
func TestMTA(t *testing.T) {
	m := mtatest.Start(t, mtatest.Config{Mailboxes: []string{"alice"}})
	msg := []byte("From: briefing@example.test\r\nSubject: hi\r\n\r\nhello\r\n")
	if err := send(m.Port, "bounces+t1@example.test", "alice@example.test", msg); err != nil {
		t.Fatal(err)
	}
	m.WaitMessages(t, "alice", 1, 20*time.Second)

	err := send(m.Port, "bounces+t2@example.test", mtatest.Later, msg)
	if err == nil || !strings.Contains(err.Error(), "450") || !strings.Contains(err.Error(), "4.2.0") {
		t.Fatalf("send to %s: %v; want 450 4.2.0", mtatest.Later, err)
	}
	m.Lift(t)
	if err := send(m.Port, "bounces+t3@example.test", mtatest.Later, msg); err != nil {
		t.Fatalf("after Lift: %v", err)
	}

	c, err := smtp.Dial(fmt.Sprintf("127.0.0.1:%d", m.StrictPort))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Auth(smtp.PlainAuth("", mtatest.Login, mtatest.Password, "127.0.0.1")); err != nil {
		t.Fatalf("auth through Dovecot SASL: %v", err)
	}
	if err := c.Mail("bounces+t4@example.test"); err != nil {
		t.Fatal(err)
	}
	err = c.Rcpt("alice@example.test")
	if err == nil || !strings.Contains(err.Error(), "553") || !strings.Contains(err.Error(), "5.7.1") || !strings.Contains(err.Error(), "Sender address rejected: not owned by user newsletter") {
		t.Fatalf("strict port RCPT: %v; want 553 5.7.1 sender not owned", err)
	}
}

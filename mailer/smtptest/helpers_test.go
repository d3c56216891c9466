package smtptest_test

import (
	"errors"
	"fmt"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
	mail "github.com/wneessen/go-mail"
)

const sender = "bounce+c1-s1=example.net@bounces.example.com"

// goMail returns a go-mail client for s without TLS, with a short timeout so
// a hung test fails quickly.
func goMail(t *testing.T, s *smtptest.Server, opts ...mail.Option) *mail.Client {
	t.Helper()
	base := []mail.Option{
		mail.WithPort(s.Port()),
		mail.WithTLSPolicy(mail.NoTLS),
		mail.WithTimeout(5 * time.Second),
	}
	c, err := mail.NewClient(s.Host(), append(base, opts...)...)
	if err != nil {
		t.Fatalf("mail.NewClient: %v", err)
	}
	return c
}

// newMsg builds a one-recipient message, as the newsletter sender does.
func newMsg(t *testing.T, to, subject string) *mail.Msg {
	t.Helper()
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := m.EnvelopeFrom(sender); err != nil {
		t.Fatalf("EnvelopeFrom: %v", err)
	}
	if err := m.From("Weekly <news@example.com>"); err != nil {
		t.Fatalf("From: %v", err)
	}
	if err := m.To(to); err != nil {
		t.Fatalf("To(%q): %v", to, err)
	}
	m.Subject(subject)
	m.SetBodyString(mail.TypeTextPlain, "Hello "+to+"\n.leading dot line\n")
	return m
}

// sendError returns the per-message SendError of m after a Send.
func sendError(t *testing.T, m *mail.Msg) *mail.SendError {
	t.Helper()
	var se *mail.SendError
	if !errors.As(m.SendError(), &se) {
		t.Fatalf("message to %v: SendError() = %v; want a *mail.SendError", m.GetToString(), m.SendError())
	}
	return se
}

// stdSend sends one message with net/smtp, step by step, and returns the
// error of the first failing step labelled by the step.
func stdSend(addr, from, to, body string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer c.Close()
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("end of data: %w", err)
	}
	if err := c.Quit(); err != nil {
		return fmt.Errorf("quit: %w", err)
	}
	return nil
}

func plainBody(to string) string {
	return "From: news@example.com\r\nTo: " + to + "\r\nSubject: hi\r\n\r\nhello\r\n"
}

func recipients(msgs []smtptest.Message) string {
	var out []string
	for _, m := range msgs {
		out = append(out, strings.Join(m.To, ","))
	}
	return strings.Join(out, " ")
}

package smtptest_test

import (
	"crypto/tls"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
	mail "github.com/wneessen/go-mail"
)

func TestTLSAndAuthWithGoMail(t *testing.T) {
	trusted := func(s *smtptest.Server) mail.Option {
		return mail.WithTLSConfig(&tls.Config{RootCAs: s.RootCAs(), ServerName: s.Host(), MinVersion: tls.VersionTLS12})
	}
	insecure := func(*smtptest.Server) mail.Option {
		return mail.WithTLSConfig(&tls.Config{InsecureSkipVerify: true})
	}
	auth := func(user, pass string) []mail.Option {
		return []mail.Option{mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(user), mail.WithPassword(pass)}
	}
	tests := []struct {
		name     string
		server   []smtptest.Option
		client   func(s *smtptest.Server) []mail.Option
		wantErr  string // substring of the error; "" means delivered
		wantTLS  bool
		wantUser string
	}{
		{
			name:   "starttls trusted through RootCAs",
			server: []smtptest.Option{smtptest.StartTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithTLSPolicy(mail.TLSMandatory), trusted(s)}
			},
			wantTLS: true,
		},
		{
			name:   "starttls with InsecureSkipVerify",
			server: []smtptest.Option{smtptest.StartTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithTLSPolicy(mail.TLSMandatory), insecure(s)}
			},
			wantTLS: true,
		},
		{
			name:   "starttls untrusted certificate",
			server: []smtptest.Option{smtptest.StartTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithTLSPolicy(mail.TLSMandatory)}
			},
			wantErr: "certificate",
		},
		{
			name:    "mandatory starttls against a plain server",
			client:  func(s *smtptest.Server) []mail.Option { return []mail.Option{mail.WithTLSPolicy(mail.TLSMandatory)} },
			wantErr: "does not support STARTTLS",
		},
		{
			name:   "opportunistic client upgrades",
			server: []smtptest.Option{smtptest.StartTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithTLSPolicy(mail.TLSOpportunistic), trusted(s)}
			},
			wantTLS: true,
		},
		{
			name:   "implicit tls",
			server: []smtptest.Option{smtptest.ImplicitTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithSSL(), mail.WithPort(s.Port()), trusted(s)}
			},
			wantTLS: true,
		},
		{
			name:   "plain client against implicit tls",
			server: []smtptest.Option{smtptest.ImplicitTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return []mail.Option{mail.WithTimeout(500 * time.Millisecond)}
			},
			wantErr: "dial",
		},
		{
			name:     "auth plain on localhost without tls",
			server:   []smtptest.Option{smtptest.RequireAuth("dispatch", "s3cret")},
			client:   func(s *smtptest.Server) []mail.Option { return auth("dispatch", "s3cret") },
			wantUser: "dispatch",
		},
		{
			name:    "auth wrong password",
			server:  []smtptest.Option{smtptest.RequireAuth("dispatch", "s3cret")},
			client:  func(s *smtptest.Server) []mail.Option { return auth("dispatch", "nope") },
			wantErr: `535 "5.7.8`,
		},
		{
			name:    "no auth when required",
			server:  []smtptest.Option{smtptest.RequireAuth("dispatch", "s3cret")},
			client:  func(s *smtptest.Server) []mail.Option { return nil },
			wantErr: `530 "5.7.0`,
		},
		{
			name:   "auth after starttls",
			server: []smtptest.Option{smtptest.StartTLS(), smtptest.RequireAuth("dispatch", "s3cret"), smtptest.AuthRequiresTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return append(auth("dispatch", "s3cret"), mail.WithTLSPolicy(mail.TLSMandatory), trusted(s))
			},
			wantTLS: true, wantUser: "dispatch",
		},
		{
			name:    "auth hidden before starttls",
			server:  []smtptest.Option{smtptest.StartTLS(), smtptest.RequireAuth("dispatch", "s3cret"), smtptest.AuthRequiresTLS()},
			client:  func(s *smtptest.Server) []mail.Option { return auth("dispatch", "s3cret") },
			wantErr: "AUTH",
		},
		{
			name:   "auth over implicit tls",
			server: []smtptest.Option{smtptest.ImplicitTLS(), smtptest.RequireAuth("dispatch", "s3cret"), smtptest.AuthRequiresTLS()},
			client: func(s *smtptest.Server) []mail.Option {
				return append(auth("dispatch", "s3cret"), mail.WithSSL(), mail.WithPort(s.Port()), trusted(s))
			},
			wantTLS: true, wantUser: "dispatch",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := smtptest.NewServer(t, tc.server...)
			m := newMsg(t, "a@example.net", "tls")
			err := goMail(t, s, tc.client(s)...).DialAndSend(m)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("DialAndSend = %v; want an error containing %q", err, tc.wantErr)
				}
				if n := len(s.Messages()); n != 0 {
					t.Errorf("server recorded %d messages; want 0", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("DialAndSend: %v", err)
			}
			msgs := s.Messages()
			if len(msgs) != 1 || msgs[0].TLS != tc.wantTLS || msgs[0].User != tc.wantUser {
				t.Fatalf("messages = %+v; want one with TLS %v, User %q", msgs, tc.wantTLS, tc.wantUser)
			}
		})
	}
}

func TestStartTLSWithNetSMTP(t *testing.T) {
	s := smtptest.NewServer(t, smtptest.StartTLS(), smtptest.RequireAuth("u", "p"), smtptest.AuthRequiresTLS())
	c, err := smtp.Dial(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH advertised before STARTTLS with AuthRequiresTLS")
	}
	if err := c.StartTLS(&tls.Config{RootCAs: s.RootCAs(), ServerName: s.Host()}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Auth(smtp.PlainAuth("", "u", "p", s.Host())); err != nil {
		t.Fatalf("Auth: %v", err)
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@example.net"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(plainBody("b@example.net"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	msgs := s.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "u" {
		t.Fatalf("messages = %+v; want one over TLS by u", msgs)
	}
	// Commands are counted up to STARTTLS only: the rest is ciphertext.
	if cmds := s.Stats().Commands; cmds["EHLO"] != 1 || cmds["STARTTLS"] != 1 || cmds["MAIL"] != 0 {
		t.Errorf("Commands = %v; want EHLO 1, STARTTLS 1 and nothing after", cmds)
	}
}

func TestRootCAsNilWithoutTLS(t *testing.T) {
	if s := smtptest.NewServer(t); s.RootCAs() != nil {
		t.Error("RootCAs() != nil for a server without TLS")
	}
}

package mailer_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestSlowServerKeepsOneConnection: the connection deadline is renewed for
// every message, so a relay slower per message than a fraction of the
// timeout does not break a long-lived connection, and no round trip is
// spent on NOOP or RSET.
func TestSlowServerKeepsOneConnection(t *testing.T) {
	e := newEnv(t, 8)
	// The session (8 × 200ms) outlasts the timeout: only a deadline that
	// moves with each message keeps it. The margin per message (600ms)
	// absorbs a loaded machine.
	e.srv.SetDelay(200 * time.Millisecond)
	r := e.relay(1)
	r.Timeout = 800 * time.Millisecond // half the 1.6s the eight messages take
	res, err := e.run(t, context.Background(), e.config(r))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 8 || res.Retried != 0 {
		t.Fatalf("run = %+v; want 8 sent on the first try", res)
	}
	st := e.srv.Stats()
	if st.Connections != 1 {
		t.Errorf("%d connections; want 1", st.Connections)
	}
	if st.Commands["RSET"] != 0 || st.Commands["NOOP"] != 0 {
		t.Errorf("commands = %v; want no RSET or NOOP after accepted messages", st.Commands)
	}
	if st.Commands["MAIL"] != 8 || st.Commands["DATA"] != 8 {
		t.Errorf("commands = %v; want one MAIL and one DATA per message", st.Commands)
	}
}

// TestRefusalThenNextMessageOnSameConnection: after a refused RCPT the
// transaction is reset, so the next recipient on the connection goes
// through.
func TestRefusalThenNextMessageOnSameConnection(t *testing.T) {
	e := newEnv(t, 4)
	e.srv.FailRcpt("user1@example.com", 550, "5.1.1", "user unknown")
	e.srv.FailData("user2@example.com", 554, "5.7.1", "message rejected as spam")
	res, err := e.run(t, context.Background(), e.config(e.relay(1)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 || res.Failed != 2 {
		t.Fatalf("run = %+v; want 2 sent, 2 failed", res)
	}
	if c := e.srv.Stats().Connections; c != 1 {
		t.Errorf("%d connections; want the refusals to keep the one connection", c)
	}
}

// TestTLSAndAuth sends over STARTTLS and implicit TLS with AUTH: go-mail
// sets the session up, and the messages go over the encrypted connection.
func TestTLSAndAuth(t *testing.T) {
	for _, mode := range []tlsmode.Mode{tlsmode.StartTLS, tlsmode.Implicit} {
		t.Run(mode.String(), func(t *testing.T) {
			opt := smtptest.StartTLS()
			if mode == tlsmode.Implicit {
				opt = smtptest.ImplicitTLS()
			}
			e := newEnv(t, 3, opt, smtptest.RequireAuth("dispatch", "s3cret"), smtptest.AuthRequiresTLS())
			r := e.relay(2)
			r.TLS, r.RootCAs, r.Username, r.Password = mode, e.srv.RootCAs(), "dispatch", "s3cret"
			res, err := e.run(t, context.Background(), e.config(r))
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != 3 {
				t.Fatalf("run = %+v; want 3 sent", res)
			}
			for _, m := range e.srv.Messages() {
				if !m.TLS || m.User != "dispatch" {
					t.Errorf("message to %v: TLS %v, user %q; want TLS as dispatch", m.To, m.TLS, m.User)
				}
			}
		})
	}
}

// TestCleartextAuthRefusedBeforeConnecting points a relay with AUTH and no
// TLS at 0.0.0.0, which reaches the test server on this machine but is not
// a loopback address: the sender refuses before any connection unless
// AllowInsecureAuth is set, and then it authenticates and sends.
func TestCleartextAuthRefusedBeforeConnecting(t *testing.T) {
	e := newEnv(t, 2, smtptest.RequireAuth("dispatch", "s3cret"))
	r := e.relay(1)
	r.Host, r.Username, r.Password = "0.0.0.0", "dispatch", "s3cret"
	_, err := mailer.New(e.config(r), e.store)
	if !errors.Is(err, mailer.ErrCleartextAuth) || !strings.Contains(err.Error(), "to 0.0.0.0") {
		t.Fatalf("New with cleartext AUTH to 0.0.0.0: %v; want ErrCleartextAuth naming the host", err)
	}
	if c := e.srv.Stats().Connections; c != 0 {
		t.Fatalf("%d connections before the refusal; want none", c)
	}

	r.AllowInsecureAuth = true
	res, err := e.run(t, context.Background(), e.config(r))
	if err != nil || res.Sent != 2 {
		t.Fatalf("run with allow_insecure_auth = %+v, %v; want 2 sent", res, err)
	}
	for _, m := range e.srv.Messages() {
		if m.TLS || m.User != "dispatch" {
			t.Errorf("message to %v: TLS %v, user %q; want plain text as dispatch", m.To, m.TLS, m.User)
		}
	}
}

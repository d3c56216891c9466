package mailer_test

import (
	"context"
	"testing"
	"time"
)

// TestSlowServerKeepsOneConnection: the connection deadline is renewed for
// every message, so a relay slower per message than a fraction of the
// timeout does not break a long-lived connection, and no round trip is
// spent on NOOP or RSET.
func TestSlowServerKeepsOneConnection(t *testing.T) {
	e := newEnv(t, 8)
	e.srv.SetDelay(100 * time.Millisecond)
	r := e.relay(1)
	r.Timeout = 400 * time.Millisecond // half the 800ms the eight messages take
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

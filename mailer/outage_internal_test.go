package mailer

import (
	"errors"
	"io"
	"net/textproto"
	"strings"
	"testing"
	"time"
)

// TestBeforeRecipient: only a connection lost, or a 421, in answer to MAIL
// FROM is the relay's alone; once RCPT is sent the recipient may be the
// cause.
func TestBeforeRecipient(t *testing.T) {
	tests := []struct {
		step step
		err  error
		want bool
	}{
		{stepMail, io.EOF, true},
		{stepMail, &textproto.Error{Code: 421, Msg: "4.3.2 closing"}, true},
		{stepMail, &textproto.Error{Code: 451, Msg: "4.3.0 try later"}, false},
		{stepMail, &textproto.Error{Code: 550, Msg: "5.7.1 sender refused"}, false},
		{stepRcpt, io.EOF, false},
		{stepRcpt, &textproto.Error{Code: 421, Msg: "4.3.2 closing"}, false},
		{stepBody, io.ErrUnexpectedEOF, false},
		{stepEnd, io.EOF, false},
	}
	for _, tc := range tests {
		if got := beforeRecipient(&sendError{step: tc.step, err: tc.err}); got != tc.want {
			t.Errorf("beforeRecipient(%s: %v) = %v; want %v", tc.step, tc.err, got, tc.want)
		}
	}
	if beforeRecipient(errors.New("not a transaction")) {
		t.Error("a bare error counted as the relay's")
	}
}

// TestRelayRetryBacksOff: while a relay is down one worker at a time tries
// it, at waits that double up to the cap; a connection brings it back.
func TestRelayRetryBacksOff(t *testing.T) {
	var r relayState
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	now := start
	if !r.unreachable(now, maxFirstRetry, errors.New("refused")) {
		t.Fatal("first failure did not take the relay down")
	}
	var waits []string
	for range 7 {
		ok, at := r.claimRetry(now)
		if ok {
			t.Fatalf("retry allowed at %v before its time", now)
		}
		now = at
		if ok, _ := r.claimRetry(now); !ok {
			t.Fatalf("retry refused at its time %v", now)
		}
		if ok, _ := r.claimRetry(now); ok {
			t.Fatal("two workers allowed to retry at once")
		}
		waits = append(waits, r.wait.String())
		r.unreachable(now, maxFirstRetry, errors.New("refused"))
	}
	if got, want := strings.Join(waits, " "), "1s 2s 4s 8s 16s 30s 30s"; got != want {
		t.Errorf("waits = %s; want %s", got, want)
	}
	if d := r.reachable(now); d != now.Sub(start) || r.isDown() {
		t.Errorf("reachable = %s, down %v; want the outage's length and up", d, r.isDown())
	}
}

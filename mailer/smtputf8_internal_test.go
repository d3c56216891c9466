package mailer

import (
	"context"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestSMTPUTF8OnlyWhenAnAddressNeedsIt: a relay that offers SMTPUTF8 is
// asked for it only for a message with a non-ASCII address.
func TestSMTPUTF8OnlyWhenAnAddressNeedsIt(t *testing.T) {
	s := smtptest.NewServer(t)
	cn := testConn(s, 5*time.Second)
	defer cn.close()
	now := time.Now()
	if err := cn.ensure(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	for _, rcpt := range []string{"reader@example.net", "josé@exämple.org", "ada@example.org"} {
		if o := classify(cn.send(testMsg(rcpt), now)); o.verdict != vSent {
			t.Fatalf("%s: %s (%s)", rcpt, o.verdict, o.text)
		}
	}
	msgs := s.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages; want 3", len(msgs))
	}
	for i, want := range []bool{false, true, false} {
		if msgs[i].SMTPUTF8 != want {
			t.Errorf("message to %v: SMTPUTF8 %t; want %t", msgs[i].To, msgs[i].SMTPUTF8, want)
		}
	}
}

package smtptest_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dispatchhq/dispatch/mailer/smtptest"
)

// TestLatencyProxyKeepsBytesAndAddsDelay: a message of many chunks comes
// through whole and in order, and each round trip takes at least twice
// the one-way delay.
func TestLatencyProxyKeepsBytesAndAddsDelay(t *testing.T) {
	const oneWay = 5 * time.Millisecond
	s := smtptest.NewServer(t)
	p := smtptest.NewLatencyProxy(t, s.Addr(), oneWay)
	var msg bytes.Buffer
	msg.WriteString("Subject: long\r\n\r\n")
	for i := range 20000 {
		fmt.Fprintf(&msg, "line %06d of a message longer than any one read\r\n", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := smtptest.DialRaw(ctx, p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, pipelining := range []bool{false, true} {
		c.Pipelining = pipelining
		start := time.Now()
		if err := c.Send(ctx, "from@example.com", "to@example.net", msg.Bytes()); err != nil {
			t.Fatalf("Send (pipelining %v): %v", pipelining, err)
		}
		// Lockstep: MAIL, RCPT, DATA, end of data. Pipelined: two.
		trips := 4
		if pipelining {
			trips = 2
		}
		if el := time.Since(start); el < time.Duration(trips)*2*oneWay {
			t.Errorf("a send of %d round trips took %s through a proxy of %s each way", trips, el, oneWay)
		}
	}
	msgs := s.Messages()
	if len(msgs) != 2 || !bytes.Equal(msgs[0].Data, msg.Bytes()) || !bytes.Equal(msgs[1].Data, msg.Bytes()) {
		t.Fatalf("server has %d messages; want 2 equal to the %d bytes sent", len(msgs), msg.Len())
	}
}
